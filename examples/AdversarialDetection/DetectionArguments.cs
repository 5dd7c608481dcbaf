using System.Globalization;

namespace AdversarialDetection;

/// <summary>Command-line arguments of the adversarial-detection example.</summary>
internal sealed record DetectionArguments
{
    public const string Usage =
        "usage: dotnet run -c Release --project examples/AdversarialDetection -- [--dataset fashion-mnist|shapes|cifar10] [--data-dir DIR] [--architecture A] [--epochs N] " +
        "[--train-limit N] [--cache DIR] [--output DIR] [--seeds N] [--images-per-class 1,5,10] [--test-per-class N] [--pool-per-class N] " +
        "[--attacks ifgsm,pgd-linf,pgd-l2] [--lambda-m X] [--lambda-s X] [--target-ratio X] [--sparsity-warmup N] [--pretrain-epochs N] [--learning-rate X] " +
        "[--trainers FastForest,FastTree,LightGbm] [--train-pool-per-class N] [--train-only] [--seed N]";

    public string? Dataset { get; init; }

    public int Epochs { get; init; } = 3;

    /// <summary>CIFAR-10 binary folder (<c>data_batch_1.bin</c> …) for <c>--dataset cifar10</c>.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Architecture (see NetworkArchitecture.Parse); null: the estimator's default VGG-style network.</summary>
    public string? Architecture { get; init; }

    public int? TrainLimit { get; init; } = 15000;

    public string Cache { get; init; } = "adversarial-detection-cache";

    public string Output { get; init; } = "adversarial-detection-output";

    public int Seeds { get; init; } = 5;

    public IReadOnlyList<int> ImagesPerClass { get; init; } = [1, 5, 10];

    public int TestPerClass { get; init; } = 100;

    public int PoolPerClass { get; init; } = 200;

    public IReadOnlyList<string> Attacks { get; init; } = ["ifgsm", "pgd-linf"];

    public bool TrainOnly { get; init; }

    /// <summary>λm of the decoupled network; null: the Quickstart's 0.5.</summary>
    public double? MutualInformationWeight { get; init; }

    /// <summary>λs of the decoupled network; null: the Quickstart's 0.05.</summary>
    public double? SparsityWeight { get; init; }

    /// <summary>R of the decoupled network; null: the Quickstart's 0.5.</summary>
    public double? TargetRatio { get; init; }

    /// <summary>Epochs over which λs ramps in (Options.SparsityWarmupEpochs); null: the preset's.</summary>
    public int? SparsityWarmupEpochs { get; init; }

    /// <summary>
    /// Epochs of dense pretraining before decoupling (the paper starts from a pretrained dense network); 0 trains the
    /// decoupled network from scratch. The dense baseline then trains for the same total budget, pretraining + --epochs.
    /// </summary>
    public int PretrainEpochs { get; init; }

    /// <summary>Initial learning rate of the decoupled network (the dense networks keep the default 0.1); null: 0.1.</summary>
    public double? LearningRate { get; init; }

    /// <summary>The detector trainers to compare (Detectors.Trainers).</summary>
    public IReadOnlyList<string> Trainers { get; init; } = ["FastForest", "FastTree", "LightGbm"];

    /// <summary>
    /// When set (Fashion-MNIST only): the detectors' training images come from this many images per class of the training
    /// split after the first --train-limit (which the networks train on), so that they can reach the paper's counts (1 000
    /// to 10 000 clean images); test images still come from the test pool. Null: both from the test pool.
    /// </summary>
    public int? TrainPoolPerClass { get; init; }

    public int Seed { get; init; } = 1;

    public static DetectionArguments Parse(string[] args)
    {
        var result = new DetectionArguments();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value. {Usage}");
            result = name switch
            {
                "--dataset" => result with { Dataset = Value() is var d && d is "fashion-mnist" or "shapes" or "cifar10" ? d : throw new ArgumentException($"--dataset must be 'fashion-mnist', 'shapes' or 'cifar10', got '{d}'.") },
                "--data-dir" => result with { DataDirectory = Value() },
                "--architecture" => result with { Architecture = Value() },
                "--epochs" => result with { Epochs = PositiveInt(name, Value()) },
                "--train-limit" => result with { TrainLimit = PositiveInt(name, Value()) },
                "--cache" => result with { Cache = Value() },
                "--output" => result with { Output = Value() },
                "--seeds" => result with { Seeds = PositiveInt(name, Value()) },
                "--images-per-class" => result with { ImagesPerClass = Value().Split(',').Select(v => PositiveInt(name, v.Trim())).ToArray() },
                "--test-per-class" => result with { TestPerClass = PositiveInt(name, Value()) },
                "--pool-per-class" => result with { PoolPerClass = PositiveInt(name, Value()) },
                "--attacks" => result with { Attacks = Value().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) },
                "--train-only" => result with { TrainOnly = true },
                "--lambda-m" => result with { MutualInformationWeight = NonNegative(name, Value()) },
                "--lambda-s" => result with { SparsityWeight = NonNegative(name, Value()) },
                "--target-ratio" => result with { TargetRatio = NonNegative(name, Value()) is var r && r <= 1 ? r : throw new ArgumentException($"{name} must be in [0, 1].") },
                "--sparsity-warmup" => result with { SparsityWarmupEpochs = NonNegativeInt(name, Value()) },
                "--learning-rate" => result with { LearningRate = NonNegative(name, Value()) is var lr && lr > 0 ? lr : throw new ArgumentException($"{name} must be positive.") },
                "--pretrain-epochs" => result with { PretrainEpochs = NonNegativeInt(name, Value()) },
                "--trainers" => result with { Trainers = Value().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is var t && t.Length > 0 && t.All(Detectors.Trainers.Contains) ? t : throw new ArgumentException($"{name} must list some of {string.Join(", ", Detectors.Trainers)}.") },
                "--train-pool-per-class" => result with { TrainPoolPerClass = PositiveInt(name, Value()) },
                "--seed" => result with { Seed = PositiveInt(name, Value()) },
                "--help" or "-h" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"Unknown argument '{name}'. {Usage}"),
            };
        }

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

        foreach (string attack in result.Attacks)
        {
            _ = AttackCatalog.Create(attack);
        }

        return result;
    }

    private static double NonNegative(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && parsed >= 0 && double.IsFinite(parsed)
            ? parsed
            : throw new ArgumentException($"{name} must be a non-negative number, got '{value}'.");

    private static int NonNegativeInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
            ? parsed
            : throw new ArgumentException($"{name} must be a non-negative integer, got '{value}'.");

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed > 0
            ? parsed
            : throw new ArgumentException($"{name} must be a positive integer, got '{value}'.");
}
