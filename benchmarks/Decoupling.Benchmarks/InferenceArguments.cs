using Microsoft.ML.OnnxRuntime;
namespace Decoupling.Benchmarks;

/// <summary>Command line of the inference-speed benchmark (<c>--inference</c>), with its defaults (read by <see cref="InferenceCommandLine"/>).</summary>
internal sealed record InferenceArguments
{
    /// <summary>fmnist-vgg and fmnist-resnet20 are trained (or loaded with --weights); any other architecture name is built untrained at 3×S×S (<see cref="InputSize"/>) with a seeded path distribution.</summary>
    public IReadOnlyList<string> Networks { get; init; } = ["fmnist-vgg", "fmnist-resnet20", "vgg16", "resnet56"];

    /// <summary>Timed runs per variant (the issue asks for at least 50).</summary>
    public int Runs { get; init; } = 50;

    public int Warmup { get; init; } = 5;

    /// <summary>Images of one timed run at batch 1 (one batch at larger batch sizes); times are reported per image.</summary>
    public int ImagesPerRun { get; init; } = 16;

    public IReadOnlyList<int> Batches { get; init; } = [1, 32];

    public IReadOnlyList<int> Threads { get; init; } = [1, 2];

    /// <summary>Values of <c>SkippingInference.MaskedAboveOpenRatio</c> to time (the threshold is to be measured).</summary>
    public IReadOnlyList<double> SkipRatios { get; init; } = [0.5, 0.75, 1];

    public int TrainEpochs { get; init; } = 2;

    public int TrainLimit { get; init; } = 6000;

    /// <summary>Checkpoints or state dicts of the trained networks, by network name (instead of training).</summary>
    public IReadOnlyDictionary<string, string> Weights { get; init; } = new Dictionary<string, string>();

    /// <summary>Untrained networks: share of each gated layer's filters made silent (removed by the compaction).</summary>
    public double SilentShare { get; init; } = 0.5;

    /// <summary>Untrained networks: share made always open (their gate dropped where a layer has no dynamic filter left).</summary>
    public double OpenShare { get; init; } = 0.1;

    /// <summary>Height and width of the untrained networks' 3-channel input (32: CIFAR; 224: ImageNet, as the paper's ResNet-18 timing).</summary>
    public int InputSize { get; init; } = 32;

    /// <summary>Runtimes to time: "onnx" (ONNX Runtime, CPU) and "torch" (TorchSharp).</summary>
    public IReadOnlyList<string> Runtimes { get; init; } = ["onnx", "torch"];

    public int Seed { get; init; } = 1;

    /// <summary>Images profiled per ONNX graph (ORT's profiler, 1 thread, batch 1; 0: no profile).</summary>
    public int Profile { get; init; }

    /// <summary>Also time (and profile) per-input skipping inside ONNX Runtime (<see cref="OnnxPerInputSkipping"/>; VGGs, batch 1).</summary>
    public bool SkipInOnnx { get; init; }

    /// <summary>Also time the product graphs with ONNX Runtime's batch dimension fixed to the batch size (free dimension override).</summary>
    public bool FixedBatch { get; init; }

    /// <summary>Images scored row by row through ML.NET's OnnxTransformer per intra-op thread setting (<see cref="RowScoringTiming"/>; 0: not timed).</summary>
    public int MlNetRows { get; init; }

    /// <summary>Group the profile by layer (and node kind) instead of by node kind.</summary>
    public bool ProfileByLayer { get; init; }

    /// <summary>ONNX Runtime's graph optimisation level of the timed and profiled sessions.</summary>
    public GraphOptimizationLevel GraphOptimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Keep glibc's allocator defaults instead of NativeAllocator.UseTrainingSettings.</summary>
    public bool GlibcDefaults { get; init; }

    public string? Output { get; init; }

    /// <summary>Folder to write each network's dense, masked and compact ONNX graphs to (for benchmarks/OnnxCudaCheck).</summary>
    public string? SaveOnnx { get; init; }
}
