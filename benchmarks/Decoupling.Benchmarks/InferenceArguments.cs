using System.Globalization;

namespace Decoupling.Benchmarks;

/// <summary>Command line of the inference-speed benchmark (<c>--inference</c>).</summary>
internal sealed record InferenceArguments
{
    public const string Usage =
        "--inference [--networks fmnist-vgg,fmnist-resnet20,vgg16,resnet56] [--runs 50] [--warmup 5] [--images-per-run 16] "
        + "[--batches 1,32] [--threads 1,2] [--skip-ratios 0.5,0.75,1] [--train-epochs 2] [--train-limit 6000] "
        + "[--weights fmnist-vgg=file.ckpt] [--silent-share 0.5] [--open-share 0.1] [--input-size 32] [--runtimes onnx,torch] [--profile 16] [--seed 1] [--glibc-defaults] [--output file.md] [--save-onnx folder]";

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

    /// <summary>Keep glibc's allocator defaults instead of NativeAllocator.UseTrainingSettings.</summary>
    public bool GlibcDefaults { get; init; }

    public string? Output { get; init; }

    /// <summary>Folder to write each network's dense, masked and compact ONNX graphs to (for benchmarks/OnnxCudaCheck).</summary>
    public string? SaveOnnx { get; init; }

    public static InferenceArguments Parse(IReadOnlyList<string> args)
    {
        var result = new InferenceArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string option = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{option} needs a value.");
            result = option switch
            {
                "--networks" => result with { Networks = List(Value()) },
                "--runs" => result with { Runs = Positive(option, Value()) },
                "--warmup" => result with { Warmup = Positive(option, Value()) },
                "--images-per-run" => result with { ImagesPerRun = Positive(option, Value()) },
                "--batches" => result with { Batches = List(Value()).Select(v => Positive(option, v)).ToList() },
                "--threads" => result with { Threads = List(Value()).Select(v => Positive(option, v)).ToList() },
                "--skip-ratios" => result with { SkipRatios = List(Value()).Select(v => Share(option, v)).ToList() },
                "--train-epochs" => result with { TrainEpochs = Positive(option, Value()) },
                "--train-limit" => result with { TrainLimit = Positive(option, Value()) },
                "--weights" => result.WithWeights(Value()),
                "--silent-share" => result with { SilentShare = Share(option, Value()) },
                "--open-share" => result with { OpenShare = Share(option, Value()) },
                "--input-size" => result with { InputSize = Positive(option, Value()) },
                "--runtimes" => result with { Runtimes = List(Value()).Select(v => v is "onnx" or "torch" ? v : throw new ArgumentException($"--runtimes takes onnx and/or torch, got '{v}'.")).ToList() },
                "--seed" => result with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--profile" => result with { Profile = int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture) },
                "--glibc-defaults" => result with { GlibcDefaults = true },
                "--output" => result with { Output = Value() },
                "--save-onnx" => result with { SaveOnnx = Value() },
                _ => throw new ArgumentException($"Unknown option '{option}'. Usage: {Usage}"),
            };
        }

        if (result.SilentShare + result.OpenShare > 1)
        {
            throw new ArgumentException($"--silent-share {result.SilentShare} and --open-share {result.OpenShare} add up to more than 1.");
        }

        foreach (var path in result.Weights.Values.Where(p => !File.Exists(p)))
        {
            throw new ArgumentException($"--weights: file '{path}' not found.");
        }

        return result;
    }

    private InferenceArguments WithWeights(string pair)
    {
        int equals = pair.IndexOf('=');
        if (equals <= 0 || equals == pair.Length - 1)
        {
            throw new ArgumentException($"--weights must be network=file, got '{pair}'.");
        }

        return this with { Weights = new Dictionary<string, string>(Weights) { [pair[..equals]] = pair[(equals + 1)..] } };
    }

    private static List<string> List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static int Positive(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"{option} must be a positive integer, got '{text}'.");

    private static double Share(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v is >= 0 and <= 1 ? v : throw new ArgumentException($"{option} must be a number in [0, 1], got '{text}'.");
}
