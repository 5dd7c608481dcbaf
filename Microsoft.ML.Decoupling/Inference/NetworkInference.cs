using Microsoft.ML.Decoupling.Modules;
namespace Microsoft.ML.Decoupling.Inference;

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
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(pixels);
        var readout = NetworkReadout.Run(network, pixels, count, batchSize: batchSize);
        return (readout.Scores, readout.Paths);
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
