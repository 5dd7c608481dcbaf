using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>Batched evaluation-mode inference of a decoupled network over in-memory images.</summary>
public static class NetworkInference
{
    /// <summary>Runs the network in evaluation mode over <paramref name="data"/>; returns softmax scores (count×K) and paths (count×PathLength).</summary>
    public static (float[] Scores, float[] Paths) Run(DecoupledNetwork network, Data.ImageDataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        Training.DecouplingTrainer.RequireShape(network, data);
        return Run(network, data.Pixels, data.Count, batchSize);
    }

    /// <summary>Runs the network in evaluation mode; returns softmax scores (count×K) and paths (count×PathLength).</summary>
    public static (float[] Scores, float[] Paths) Run(DecoupledNetwork network, float[] pixels, int count, int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int imageSize = network.Input.Size;
        if (pixels.Length != (long)count * imageSize)
        {
            throw new ArgumentException($"Expected {count}×{imageSize} pixel values, got {pixels.Length}.", nameof(pixels));
        }

        Native.ConvolutionSelfCheck.EnsureCorrectFor(network.Device);
        int classes = network.Classes;
        int pathLength = network.Description.PathLayout.PathLength;
        var scores = new float[(long)count * classes];
        var paths = new float[(long)count * pathLength];
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < count; start += batchSize)
            {
                int size = Math.Min(batchSize, count - start);
                using var scope = NewDisposeScope();
                var input = tensor(pixels.AsSpan(start * imageSize, size * imageSize).ToArray(), new long[] { size, imageSize }, device: network.Device);
                var output = network.forward(input);
                output.Logits.softmax(1).cpu().data<float>().CopyTo(scores, start * classes);
                if (pathLength > 0)
                {
                    output.Path().cpu().data<float>().CopyTo(paths, start * pathLength);
                }
            }
        }
        finally
        {
            network.train(wasTraining);
        }

        return (scores, paths);
    }

    /// <summary>
    /// Batch-1 inference with per-input skipping (<see cref="Inference.SkippingInference"/>): each gated layer computes
    /// only its open filters. Same outputs as <see cref="Run(DecoupledNetwork, float[], int, int)"/>, up to rounding.
    /// For repeated calls, keep one <see cref="Inference.SkippingInference"/> (it folds the weights once).
    /// </summary>
    public static (float[] Scores, float[] Paths) RunSkipping(DecoupledNetwork network, float[] pixels, int count, double maskedAboveOpenRatio = Inference.SkippingInference.DefaultMaskedAboveOpenRatio)
    {
        using var skipping = new Inference.SkippingInference(network, maskedAboveOpenRatio);
        return skipping.Run(pixels, count);
    }
}
