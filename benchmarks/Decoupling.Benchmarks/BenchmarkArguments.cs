namespace Decoupling.Benchmarks;

/// <summary>Command line of the trade-off benchmark, with its defaults (read by <see cref="BenchmarkCommandLine"/>).</summary>
internal sealed record BenchmarkArguments
{
    public IReadOnlyList<string> Architectures { get; init; } = ["vgg", "resnet20"];

    /// <summary>Epochs of the dense baseline.</summary>
    public int DenseEpochs { get; init; } = 4;

    /// <summary>Epochs of every run that starts from the dense baseline (decoupled runs, and the dense run with the same budget).</summary>
    public int FineTuneEpochs { get; init; } = 4;

    public double FineTuneLearningRate { get; init; } = 0.01;

    public int? TrainLimit { get; init; }

    /// <summary>Test images to evaluate on (null: the whole test split).</summary>
    public int? TestLimit { get; init; }

    /// <summary>The Fashion-MNIST folder (null: $FASHION_MNIST_DIR or the Debian package's folder).</summary>
    public string? DataDirectory { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>(λs, R) pairs of the decoupled runs.</summary>
    public IReadOnlyList<(double Sparsity, double TargetRatio)> Settings { get; init; } = [(0.05, 0.5), (0.05, 0.3)];

    public double MutualInformationWeight { get; init; } = 0.5;

    /// <summary>Batches per timed run of the step-time comparison (0 skips it).</summary>
    public int StepBatches { get; init; } = 20;

    public string? Output { get; init; }

    /// <summary>Only the step-time comparison, no training runs.</summary>
    public bool StepsOnly { get; init; }

    /// <summary>Keep glibc's default allocator settings (to measure what NativeAllocator.UseTrainingSettings gains).</summary>
    public bool GlibcDefaults { get; init; }

    /// <summary>
    /// False switches libtorch's oneDNN off before anything runs (what the convolution self-check does in the process that
    /// first finds a fault), to time that configuration; see benchmarks/convolution-workaround-cost.sh.
    /// </summary>
    public bool OneDnn { get; init; } = true;
}
