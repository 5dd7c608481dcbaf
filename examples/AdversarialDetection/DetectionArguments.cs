namespace AdversarialDetection;

/// <summary>Command-line arguments of the adversarial-detection example, with their defaults (read by <see cref="DetectionCommandLine"/>).</summary>
internal sealed record DetectionArguments
{
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
}
