using System.CommandLine;
using Decoupling.Examples.Shared.CommandLine;

namespace AdversarialDetection;

/// <summary>The adversarial-detection example's options, their checks (each alone, then the rules between them) and help.</summary>
internal sealed class DetectionCommandLine
{
    private static readonly DetectionArguments _defaults = new();
    private readonly Option<string?> _dataset = CommonOptions.Dataset(null, "Data set; default: Fashion-MNIST where it is installed, else the generated shapes.", "fashion-mnist", "shapes", "cifar10");
    private readonly Option<string?> _dataDirectory = TypedOptions.OptionalText("--data-dir", "The CIFAR-10 binary folder (data_batch_1.bin …), for --dataset cifar10 only.", "DIR");
    private readonly Option<string?> _architecture = TypedOptions.OptionalText("--architecture", "Network (vgg, vgg:<layout>, resnet20, …); default: the estimator's VGG-style network.", "A");
    private readonly Option<int> _epochs = TypedOptions.Integer("--epochs", "Epochs of the decoupled network (after the dense pretraining).", _defaults.Epochs, minimum: 1);
    private readonly Option<int> _trainLimit = TypedOptions.Integer("--train-limit", "Training images of the networks (shapes: how many to generate; otherwise the first N).", _defaults.TrainLimit!.Value, minimum: 1);
    private readonly Option<string> _cache = TypedOptions.Text("--cache", "Folder of the trained networks' checkpoints (reused when the same network is asked for again).", _defaults.Cache, "DIR");
    private readonly Option<string> _output = CommonOptions.OutputFolder(_defaults.Output, "Folder for results.md, summary.json and the deployed detector.");
    private readonly Option<int> _seeds = TypedOptions.Integer("--seeds", "Draws of detector training and test images (mean ± std over them).", _defaults.Seeds, minimum: 1);
    private readonly Option<IReadOnlyList<int>?> _imagesPerClass = TypedOptions.IntegerList("--images-per-class", "Clean detector training images per class (nested).", _defaults.ImagesPerClass, minimum: 1);
    private readonly Option<int> _testPerClass = TypedOptions.Integer("--test-per-class", "Clean detector test images per class.", _defaults.TestPerClass, minimum: 1);
    private readonly Option<int> _poolPerClass = TypedOptions.Integer("--pool-per-class", "Held-out images per class that both networks classify right, drawn from the test split.", _defaults.PoolPerClass, minimum: 1);
    private readonly Option<IReadOnlyList<string>?> _attacks = TypedOptions.TextList("--attacks", "Attacks to detect.", _defaults.Attacks, AttackCatalog.Names);
    private readonly Option<double?> _lambdaM = CommonOptions.MutualInformationWeight("λm of the decoupled network; default: the Quickstart's 0.5.");
    private readonly Option<double?> _lambdaS = CommonOptions.SparsityWeight();
    private readonly Option<double?> _targetRatio = CommonOptions.TargetRatio();
    private readonly Option<int?> _sparsityWarmup = TypedOptions.OptionalInteger("--sparsity-warmup", "Epochs over which λs ramps in; default: the preset's.", minimum: 0);
    private readonly Option<int?> _pretrainEpochs = CommonOptions.PretrainEpochs("Epochs of dense pretraining before decoupling (0: from scratch); the dense baseline trains pretraining + --epochs. [default: 0]");
    private readonly Option<double?> _learningRate = TypedOptions.OptionalNumber("--learning-rate", "Initial learning rate of the decoupled network (the dense networks keep 0.1); default: 0.1.", minimum: 0, minimumExcluded: true);
    private readonly Option<IReadOnlyList<string>?> _trainers = TypedOptions.TextList("--trainers", "Detector trainers to compare.", _defaults.Trainers, Detectors.Trainers);
    private readonly Option<int?> _trainPoolPerClass = TypedOptions.OptionalInteger("--train-pool-per-class", "Fashion-MNIST only: detector training images from this many per class of the training split after the first --train-limit.", minimum: 1);
    private readonly Option<bool> _trainOnly = TypedOptions.Flag("--train-only", "Train (or load) the networks and stop.");
    private readonly Option<int> _seed = CommonOptions.Seed(_defaults.Seed);

    public DetectionCommandLine()
    {
        Command = new RootCommand("The paper's detection protocol: detectors on the calculation paths of a few images per class and their adversarial copies, over several seeds, beside the baselines of the same run.")
        {
            _dataset, _dataDirectory, _architecture, _epochs, _trainLimit, _cache, _output, _seeds, _imagesPerClass, _testPerClass, _poolPerClass, _attacks,
            _lambdaM, _lambdaS, _targetRatio, _sparsityWarmup, _pretrainEpochs, _learningRate, _trainers, _trainPoolPerClass, _trainOnly, _seed,
        };
        Command.HelpName = "dotnet run -c Release --project examples/AdversarialDetection --";
    }

    public RootCommand Command { get; }

    /// <summary>The arguments, after the rules between options (an <see cref="ArgumentException"/> names the broken one).</summary>
    public DetectionArguments Read(ParseResult parsed)
    {
        var result = new DetectionArguments
        {
            Dataset = parsed.GetValue(_dataset),
            DataDirectory = parsed.GetValue(_dataDirectory),
            Architecture = parsed.GetValue(_architecture),
            Epochs = parsed.GetValue(_epochs),
            TrainLimit = parsed.GetValue(_trainLimit),
            Cache = parsed.GetRequiredValue(_cache),
            Output = parsed.GetRequiredValue(_output),
            Seeds = parsed.GetValue(_seeds),
            ImagesPerClass = parsed.GetValue(_imagesPerClass) ?? _defaults.ImagesPerClass,
            TestPerClass = parsed.GetValue(_testPerClass),
            PoolPerClass = parsed.GetValue(_poolPerClass),
            Attacks = parsed.GetValue(_attacks) ?? _defaults.Attacks,
            TrainOnly = parsed.GetValue(_trainOnly),
            MutualInformationWeight = parsed.GetValue(_lambdaM),
            SparsityWeight = parsed.GetValue(_lambdaS),
            TargetRatio = parsed.GetValue(_targetRatio),
            SparsityWarmupEpochs = parsed.GetValue(_sparsityWarmup),
            PretrainEpochs = parsed.GetValue(_pretrainEpochs) ?? _defaults.PretrainEpochs,
            LearningRate = parsed.GetValue(_learningRate),
            Trainers = parsed.GetValue(_trainers) ?? _defaults.Trainers,
            TrainPoolPerClass = parsed.GetValue(_trainPoolPerClass),
            Seed = parsed.GetValue(_seed),
        };
        CheckRules(result);
        return result;
    }

    private static void CheckRules(DetectionArguments result)
    {
        if (result.TrainPoolPerClass is { } trainPool)
        {
            if (result.Dataset != "fashion-mnist")
            {
                throw new ArgumentException("--train-pool-per-class needs --dataset fashion-mnist (its training split has images the networks do not train on).");
            }

            if (trainPool < result.ImagesPerClass.Max() || result.PoolPerClass < result.TestPerClass)
            {
                throw new ArgumentException($"--train-pool-per-class ({trainPool}) must hold {result.ImagesPerClass.Max()} images per class and --pool-per-class ({result.PoolPerClass}) at least --test-per-class ({result.TestPerClass}).");
            }

            if ((result.TrainLimit ?? 60000) + (10 * trainPool) > 60000)
            {
                throw new ArgumentException($"--train-limit ({result.TrainLimit}) leaves too few of Fashion-MNIST's 60 000 training images for --train-pool-per-class {trainPool}.");
            }
        }
        else if (result.PoolPerClass < result.ImagesPerClass.Max() + result.TestPerClass)
        {
            throw new ArgumentException($"--pool-per-class ({result.PoolPerClass}) must hold the training and test images of a run: at least {result.ImagesPerClass.Max()} + {result.TestPerClass}.");
        }

        if ((result.Dataset == "cifar10") != (result.DataDirectory is not null))
        {
            throw new ArgumentException("--dataset cifar10 needs --data-dir (the CIFAR-10 binary folder), and --data-dir is only for it.");
        }
    }
}
