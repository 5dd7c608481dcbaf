using Microsoft.ML;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Decoupling.Transforms;

namespace AdversarialDetection;

/// <summary>
/// The decoupled network and the dense baseline of the same architecture, trained with the ML.NET estimator. Each fit
/// keeps a checkpoint in the cache folder: a finished checkpoint is resumed after its last epoch, so a second run loads
/// the networks instead of training them again.
/// </summary>
internal static class TrainedNetworks
{
    public static (DecoupledNetworkTransformer Decoupled, DecoupledNetworkTransformer Dense) Fit(
        MLContext mlContext, ImageDataset train, DetectionArguments arguments, Action<string> log)
    {
        Directory.CreateDirectory(arguments.Cache);
        var view = train.ToDataView(mlContext);
        var decoupled = Options(train, arguments, gated: true);
        log($"Decoupled network: {decoupled.Architecture}, {arguments.Epochs} epochs (checkpoint {decoupled.CheckpointPath}).");
        var gatedModel = mlContext.Transforms.DecoupleNetwork(decoupled).Fit(view);
        var dense = Options(train, arguments, gated: false);
        log($"Dense baseline: same architecture without gates, {arguments.Epochs} epochs (checkpoint {dense.CheckpointPath}).");
        var denseModel = mlContext.Transforms.DecoupleNetwork(dense).Fit(view);
        return (gatedModel, denseModel);
    }

    private static DecoupleNetworkEstimator.Options Options(ImageDataset train, DetectionArguments arguments, bool gated)
    {
        // The Quickstart's short-budget settings (λm 0.5, λs 0.05, R 0.5); the dense baseline ignores the path losses.
        var options = DecoupleNetworkEstimator.Options.ForShortTraining();
        options.ImageChannels = train.Channels;
        options.Epochs = arguments.Epochs;
        options.Seed = arguments.Seed;
        options.UseGates = gated;
        if (arguments.Architecture is not null)
        {
            options.Architecture = NetworkArchitecture.Parse(arguments.Architecture, "--architecture");
        }

        if (arguments.Dataset == "cifar10")
        {
            // The paper's CIFAR setting: per-channel normalisation and random crop + flip.
            options.NormalizeFromData = true;
            options.Augmentation = ImageAugmentation.Cifar;
        }

        string losses = string.Empty;
        if (gated && (arguments.MutualInformationWeight is not null || arguments.SparsityWeight is not null))
        {
            options.MutualInformationWeight = arguments.MutualInformationWeight ?? options.MutualInformationWeight;
            options.SparsityWeight = arguments.SparsityWeight ?? options.SparsityWeight;
            losses = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"-m{options.MutualInformationWeight}-ls{options.SparsityWeight}");
        }

        string name = $"{(gated ? "decoupled" : "dense")}-{options.Architecture}-{train.Count}-e{arguments.Epochs}-s{arguments.Seed}{losses}".Replace(':', '_').Replace(',', '_');
        options.CheckpointPath = Path.Combine(arguments.Cache, name + ".checkpoint");
        return options;
    }
}
