namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// PGD (Madry et al., 2018): from a random point of the ε-ball, <c>steps</c> gradient steps of <c>stepSize</c>, each
/// followed by projection onto the ε-ball (L∞ or L2) and clipping to [0, 1]. Untargeted by default.
/// </summary>
public sealed class ProjectedGradientDescent : AdversarialAttack
{
    /// <summary>Creates the attack.</summary>
    /// <param name="norm">The norm of the budget.</param>
    /// <param name="epsilon">Budget ε (L∞: in (0, 1]; L2: per image, &gt; 0).</param>
    /// <param name="steps">Number of steps (≥ 1).</param>
    /// <param name="stepSize">Step size (L∞: per pixel; L2: per image).</param>
    /// <param name="randomStart">Start from a uniformly drawn point of the ε-ball (Madry et al.) rather than from x.</param>
    /// <param name="targeted">Whether to push towards target classes.</param>
    public ProjectedGradientDescent(PerturbationNorm norm, double epsilon, int steps, double stepSize, bool randomStart = true, bool targeted = false)
        : base(norm, epsilon, steps, stepSize, randomStart, targeted)
    {
    }

    /// <inheritdoc/>
    public override string Name => Norm == PerturbationNorm.LInfinity ? "PGD-L∞" : "PGD-L2";
}
