using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// FGSM (Goodfellow et al., 2015), one L∞ step: x' = clip(x + ε·sign(∇x CE(f(x), y)), 0, 1) (untargeted), or
/// x' = clip(x − ε·sign(∇x CE(f(x), t)), 0, 1) towards target t.
/// </summary>
public sealed class FastGradientSignMethod : AdversarialAttack
{
    /// <summary>Short name of the attack, as reported in metrics.</summary>
    public const string AttackName = "FGSM";

    /// <summary>Creates the attack.</summary>
    /// <param name="epsilon">L∞ budget ε in (0, 1].</param>
    /// <param name="targeted">Whether to push towards target classes.</param>
    public FastGradientSignMethod(double epsilon, bool targeted = false)
        : base(PerturbationNorm.LInfinity, epsilon, 1, epsilon, randomStart: false, targeted)
    {
    }

    /// <inheritdoc/>
    public override string Name => AttackName;

    /// <summary>Returns untargeted FGSM copies of <paramref name="pixels"/> (count×C·H·W values in [0, 1]).</summary>
    /// <param name="network">The attacked network.</param>
    /// <param name="pixels">Clean images.</param>
    /// <param name="labels">True classes (0-based), one per image.</param>
    /// <param name="epsilon">L∞ budget ε in (0, 1].</param>
    /// <param name="batchSize">Images per gradient computation.</param>
    public static float[] Attack(DecoupledNetwork network, float[] pixels, int[] labels, double epsilon, int batchSize = 256) =>
        new FastGradientSignMethod(epsilon).Run(network, pixels, labels, batchSize: batchSize).Pixels;
}
