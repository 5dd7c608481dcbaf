namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>What an attack produced, image by image.</summary>
/// <param name="Attack">The attack's description (<see cref="AdversarialAttack.ToString"/>).</param>
/// <param name="Pixels">The adversarial images, count×C·H·W values in [0, 1], in the order of the clean images.</param>
/// <param name="Predicted">The network's class (0-based) for each adversarial image, in evaluation mode.</param>
/// <param name="Succeeded">Per image: untargeted, the prediction differs from the true class; targeted, it equals the target.</param>
/// <param name="Targets">The target class (0-based) of each image for a targeted attack; null for an untargeted one.</param>
public sealed record AdversarialAttackResult(string Attack, float[] Pixels, int[] Predicted, bool[] Succeeded, int[]? Targets)
{
    /// <summary>Number of attacked images.</summary>
    public int Count => Predicted.Length;

    /// <summary>Share of images on which the attack succeeded.</summary>
    public double SuccessRate => Count == 0 ? 0 : (double)Succeeded.Count(s => s) / Count;
}
