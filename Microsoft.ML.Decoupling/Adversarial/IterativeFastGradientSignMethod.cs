namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// Iterative FGSM (Kurakin et al., 2017; "BIM"): <c>steps</c> L∞ sign steps of <c>stepSize</c> from x, projected onto the
/// ε-ball and clipped to [0, 1]. Targeted by default, as in the paper's detection experiment ("dog → truck") and in
/// Wang et al. (CVPR 2018), who use 10 steps of 0.01.
/// </summary>
public sealed class IterativeFastGradientSignMethod : AdversarialAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="steps">Number of steps (default 10, as Wang et al.).</param>
    /// <param name="stepSize">Per-pixel step (default 0.01, as Wang et al.).</param>
    /// <param name="epsilon">L∞ budget; null: <paramref name="steps"/> × <paramref name="stepSize"/> (no projection bites).</param>
    /// <param name="targeted">Whether to push towards target classes (default true).</param>
    public IterativeFastGradientSignMethod(int steps = 10, double stepSize = 0.01, double? epsilon = null, bool targeted = true)
        : base(PerturbationNorm.LInfinity, epsilon ?? DefaultEpsilon(steps, stepSize), steps, stepSize, randomStart: false, targeted)
    {
    }

    /// <summary>steps × stepSize (at most 1), once both are checked, so that a bad one is named rather than ε.</summary>
    private static double DefaultEpsilon(int steps, double stepSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!double.IsFinite(stepSize) || stepSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "stepSize must be a finite number > 0.");
        }

        return Math.Min(1, steps * stepSize);
    }

    /// <inheritdoc/>
    public override string Name => "I-FGSM";
}
