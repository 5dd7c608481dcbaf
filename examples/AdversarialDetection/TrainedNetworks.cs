using Microsoft.ML;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Decoupling.Transforms;

namespace AdversarialDetection;

/// <summary>
/// The decoupled network and the dense baseline of the same architecture, trained with the ML.NET estimator. With
/// --pretrain-epochs P the decoupled network starts from a dense network trained for P epochs (the paper's
/// initialisation) and the dense baseline trains for the same total budget, P + --epochs. Each fit keeps a checkpoint in
/// the cache folder: a finished checkpoint is resumed after its last epoch, so a second run loads the networks instead
/// of training them again (a pretrained dense stage is shared by every setting that starts from it).
/// </summary>
internal static class TrainedNetworks
{
    public static (DecoupledNetworkTransformer Decoupled, DecoupledNetworkTransformer Dense) Fit(
        MLContext mlContext, ImageDataset train, DetectionArguments arguments, Action<string> log)
    {
        Directory.CreateDirectory(arguments.Cache);
        var view = train.ToDataView(mlContext);
        var decoupled = Options(train, arguments, gated: true, arguments.Epochs);
        // PretrainedWeights.FromNetwork reads the weights when the fit starts: the dense stage lives until then.
        using var pretrained = arguments.PretrainEpochs > 0 ? FitPretrained(mlContext, view, train, arguments, log) : null;
        if (pretrained is not null)
        {
            decoupled.InitialWeights = PretrainedWeights.FromNetwork(pretrained.Network);
        }

        log($"Decoupled network: {decoupled.Architecture}, {arguments.Epochs} epochs{(arguments.PretrainEpochs > 0 ? " from the pretrained dense weights" : string.Empty)} (checkpoint {decoupled.CheckpointPath}).");
        var gatedModel = mlContext.Transforms.DecoupleNetwork(decoupled).Fit(view);
        int denseEpochs = arguments.PretrainEpochs + arguments.Epochs;
        var dense = Options(train, arguments, gated: false, denseEpochs);
        log($"Dense baseline: same architecture without gates, {denseEpochs} epochs (checkpoint {dense.CheckpointPath}).");
        var denseModel = mlContext.Transforms.DecoupleNetwork(dense).Fit(view);
        return (gatedModel, denseModel);
    }

    private static DecoupledNetworkTransformer FitPretrained(MLContext mlContext, IDataView view, ImageDataset train, DetectionArguments arguments, Action<string> log)
    {
        var stage = Options(train, arguments, gated: false, arguments.PretrainEpochs);
        log($"Dense pretraining: {arguments.PretrainEpochs} epochs (checkpoint {stage.CheckpointPath}).");
        return mlContext.Transforms.DecoupleNetwork(stage).Fit(view);
    }

    private static DecoupleNetworkEstimator.Options Options(ImageDataset train, DetectionArguments arguments, bool gated, int epochs)
    {
        // The Quickstart's short-budget settings (λm 0.5, λs 0.05, R 0.5); the dense baseline ignores the path losses.
        var options = DecoupleNetworkEstimator.Options.ForShortTraining();
        options.ImageChannels = train.Channels;
        options.Epochs = epochs;
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
        if (gated && (arguments.MutualInformationWeight is not null || arguments.SparsityWeight is not null || arguments.TargetRatio is not null || arguments.SparsityWarmupEpochs is not null))
        {
            options.MutualInformationWeight = arguments.MutualInformationWeight ?? options.MutualInformationWeight;
            options.SparsityWeight = arguments.SparsityWeight ?? options.SparsityWeight;
            options.TargetRatio = arguments.TargetRatio ?? options.TargetRatio;
            options.SparsityWarmupEpochs = arguments.SparsityWarmupEpochs ?? options.SparsityWarmupEpochs;
            losses = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"-m{options.MutualInformationWeight}-ls{options.SparsityWeight}-r{options.TargetRatio}-w{options.SparsityWarmupEpochs}");
        }

        if (gated && arguments.LearningRate is { } rate)
        {
            options.LearningRate = rate;
            losses += string.Create(System.Globalization.CultureInfo.InvariantCulture, $"-lr{rate}");
        }

        string start = gated && arguments.PretrainEpochs > 0 ? $"-from-dense-e{arguments.PretrainEpochs}" : string.Empty;
        string name = $"{(gated ? "decoupled" : "dense")}-{options.Architecture}-{train.Count}-e{epochs}{start}-s{arguments.Seed}{losses}".Replace(':', '_').Replace(',', '_');
        options.CheckpointPath = Path.Combine(arguments.Cache, name + ".checkpoint");
        return options;
    }
}
