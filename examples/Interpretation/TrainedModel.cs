using Microsoft.ML;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;

namespace Interpretation;

/// <summary>The network the report analyses, trained with the Quickstart's recipe.</summary>
internal static class TrainedModel
{
    /// <summary>
    /// Fits the Quickstart's recipe (<see cref="DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths"/>); with a
    /// <paramref name="checkpoint"/> an interrupted fit resumes and a finished one loads instead of training again. (A
    /// model.zip cannot stand in: ML.NET reloads it as a plain ONNX pipeline without the TorchSharp network the report needs.)
    /// </summary>
    public static DecoupledNetworkTransformer Train(MLContext mlContext, NetworkArchitecture architecture, ImageDataset train, int epochs, int seed, string? checkpoint = null)
    {
        Console.WriteLine($"Training {architecture} on {train.Count} images for {epochs} decoupling epochs…");
        // With the paper's defaults a few epochs leave nearly every gate energetic or silent, and a path of constant bits
        // has nothing to interpret: dense pretraining, then decoupling with the sparsity loss ramped in.
        var options = DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths();
        options.Architecture = architecture;
        options.ImageChannels = train.Channels;
        options.Epochs = epochs;
        options.Seed = seed;
        options.CheckpointPath = checkpoint;
        return mlContext.Transforms.DecoupleNetwork(options).Fit(train.ToDataView(mlContext));
    }
}
