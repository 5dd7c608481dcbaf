using Microsoft.ML;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;

namespace Interpretation;

/// <summary>The network the report analyses: trained here with the Quickstart's recipe, or loaded from a model file.</summary>
internal static class TrainedModel
{
    /// <summary>Fits the Quickstart's recipe (<see cref="DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths"/>).</summary>
    public static DecoupledNetworkTransformer Train(MLContext mlContext, NetworkArchitecture architecture, ImageDataset train, int epochs, int seed)
    {
        Console.WriteLine($"Training {architecture} on {train.Count} images for {epochs} decoupling epochs…");
        // With the paper's defaults a few epochs leave nearly every gate energetic or silent, and a path of constant bits
        // has nothing to interpret: dense pretraining, then decoupling with the sparsity loss ramped in.
        var options = DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths();
        options.Architecture = architecture;
        options.ImageChannels = train.Channels;
        options.Epochs = epochs;
        options.Seed = seed;
        return mlContext.Transforms.DecoupleNetwork(options).Fit(train.ToDataView(mlContext));
    }

    /// <summary>
    /// Loads a fitted DecoupleNetwork from an ML.NET model file; an <see cref="ArgumentException"/> names the file when it
    /// holds something else or a network for images of another shape than <paramref name="test"/>'s.
    /// </summary>
    public static DecoupledNetworkTransformer Load(MLContext mlContext, string file, ImageDataset test)
    {
        ITransformer loaded;
        try
        {
            loaded = mlContext.Model.Load(file, out _);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"--model: '{file}' is not an ML.NET model file ({ex.Message}).", ex);
        }

        if (loaded is not DecoupledNetworkTransformer model)
        {
            (loaded as IDisposable)?.Dispose();
            throw new ArgumentException($"--model: '{file}' holds a {loaded.GetType().Name}, not a fitted DecoupleNetwork.");
        }

        var expected = new ImageShape(test.Channels, test.Height, test.Width);
        if (model.Network.Input != expected)
        {
            model.Dispose();
            throw new ArgumentException($"--model: '{file}' takes {model.Network.Input} images but the data set's are {expected}; pass the --dataset it was trained on.");
        }

        return model;
    }
}
