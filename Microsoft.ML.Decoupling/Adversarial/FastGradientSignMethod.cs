using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// FGSM (Goodfellow et al., 2015), an L∞ attack: x' = clip(x + ε·sign(∇x CE(f(x), y)), 0, 1), computed against the
/// network in evaluation mode (hard gates).
/// </summary>
public static class FastGradientSignMethod
{
    /// <summary>Short name of the attack, as reported in metrics.</summary>
    public const string Name = "FGSM";

    /// <summary>Returns adversarial copies of <paramref name="pixels"/> (count×C·H·W values in [0, 1]).</summary>
    /// <param name="network">The attacked network.</param>
    /// <param name="pixels">Clean images.</param>
    /// <param name="labels">True classes (0-based), one per image.</param>
    /// <param name="epsilon">L∞ budget ε in (0, 1].</param>
    /// <param name="batchSize">Images per gradient computation.</param>
    public static float[] Attack(DecoupledNetwork network, float[] pixels, int[] labels, double epsilon, int batchSize = 256)
    {
        if (double.IsNaN(epsilon) || epsilon <= 0 || epsilon > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be in (0, 1] (pixels are in [0, 1]).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int imageSize = network.Input.Size;
        if (pixels.Length != (long)labels.Length * imageSize)
        {
            throw new ArgumentException($"Expected {labels.Length}×{imageSize} pixel values, got {pixels.Length}.", nameof(pixels));
        }

        Native.ConvolutionSelfCheck.EnsureCorrectFor(network.Device);
        var adversarial = new float[pixels.Length];
        bool wasTraining = network.training;
        network.eval();
        try
        {
            for (int start = 0; start < labels.Length; start += batchSize)
            {
                int size = Math.Min(batchSize, labels.Length - start);
                using var scope = NewDisposeScope();
                var input = tensor(pixels.AsSpan(start * imageSize, size * imageSize).ToArray(), new long[] { size, imageSize }).requires_grad_(true);
                var target = tensor(labels.AsSpan(start, size).ToArray().Select(l => (long)l).ToArray(), new long[] { size });
                var loss = nn.functional.cross_entropy(network.forward(input).Logits, target);
                var gradient = autograd.grad([loss], [input])[0];
                using (no_grad())
                {
                    var perturbed = (input + (epsilon * gradient.sign())).clamp(0.0, 1.0);
                    perturbed.data<float>().CopyTo(adversarial, start * imageSize);
                }
            }
        }
        finally
        {
            network.train(wasTraining);
        }

        return adversarial;
    }
}
