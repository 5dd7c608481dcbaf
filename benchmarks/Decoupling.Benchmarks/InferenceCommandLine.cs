using Microsoft.ML.OnnxRuntime;
using System.CommandLine;
using Decoupling.Examples.Shared.CommandLine;
using Microsoft.ML.Decoupling.Modules;

namespace Decoupling.Benchmarks;

/// <summary>The options of the inference-speed benchmark, the <c>--inference</c> subcommand.</summary>
internal sealed class InferenceCommandLine
{
    private static readonly InferenceArguments _defaults = new();
    private readonly Option<IReadOnlyList<string>?> _networks = TypedOptions.TextList("--networks", "Networks: fmnist-vgg and fmnist-resnet20 are trained on Fashion-MNIST (or loaded with --weights); any other architecture name is built untrained with seeded paths.", _defaults.Networks);
    private readonly Option<int> _runs = TypedOptions.Integer("--runs", "Timed runs per variant.", _defaults.Runs, minimum: 1);
    private readonly Option<int> _warmup = TypedOptions.Integer("--warmup", "Warm-up runs per variant.", _defaults.Warmup, minimum: 1);
    private readonly Option<int> _imagesPerRun = TypedOptions.Integer("--images-per-run", "Images of one timed run at batch 1 (one batch otherwise).", _defaults.ImagesPerRun, minimum: 1);
    private readonly Option<IReadOnlyList<int>?> _batches = TypedOptions.IntegerList("--batches", "Batch sizes.", _defaults.Batches, minimum: 1);
    private readonly Option<IReadOnlyList<int>?> _threads = TypedOptions.IntegerList("--threads", "Thread counts.", _defaults.Threads, minimum: 1);
    private readonly Option<IReadOnlyList<double>?> _skipRatios = TypedOptions.NumberList("--skip-ratios", "SkippingInference.MaskedAboveOpenRatio values to time, each in [0, 1].", _defaults.SkipRatios, minimum: 0, maximum: 1);
    private readonly Option<int> _trainEpochs = TypedOptions.Integer("--train-epochs", "Training epochs of the fmnist- networks.", _defaults.TrainEpochs, minimum: 1);
    private readonly Option<int> _trainLimit = TypedOptions.Integer("--train-limit", "Training images of the fmnist- networks.", _defaults.TrainLimit, minimum: 1);
    private readonly Option<string[]> _weights = new("--weights") { Description = "Checkpoint or state dict of a trained network instead of training it, as network=file (repeatable).", HelpName = "NETWORK=FILE" };
    private readonly Option<double> _silentShare = TypedOptions.Number("--silent-share", "Untrained networks: share of each gated layer's filters made silent.", _defaults.SilentShare, minimum: 0, maximum: 1);
    private readonly Option<double> _openShare = TypedOptions.Number("--open-share", "Untrained networks: share of each gated layer's filters made always open.", _defaults.OpenShare, minimum: 0, maximum: 1);
    private readonly Option<int> _inputSize = TypedOptions.Integer("--input-size", "Height and width of the untrained networks' 3-channel input (32: CIFAR; 224: ImageNet).", _defaults.InputSize, minimum: 1);
    private readonly Option<IReadOnlyList<string>?> _runtimes = TypedOptions.TextList("--runtimes", "Runtimes to time.", _defaults.Runtimes, ["onnx", "torch"]);
    private readonly Option<int> _profile = TypedOptions.Integer("--profile", "Images profiled per ONNX graph (ORT's profiler, 1 thread, batch 1; 0: no profile).", _defaults.Profile, minimum: 0);
    private readonly Option<bool> _skipInOnnx = TypedOptions.Flag("--skip-in-onnx", "Also time per-input skipping inside ONNX Runtime (VGG networks, batch 1; weights gathered per image; a diagnostic, not a product graph).");
    private readonly Option<bool> _fixedBatch = TypedOptions.Flag("--fixed-batch", "Also time the dense, masked and compact graphs in ONNX Runtime sessions whose batch dimension is fixed to the batch size (free dimension override).");
    private readonly Option<int> _mlNetRows = TypedOptions.Integer("--ml-net-rows", "Also time ML.NET's row-by-row scoring of this many rows (the network's images, repeated) through the per-row dense, masked and compact graphs, with ONNX Runtime's default intra-op thread count against 1 and 2 (0: not timed).", 0, minimum: 0);
    private readonly Option<string?> _profileBy = TypedOptions.Choice("--profile-by", "Group the profile by node kind, or by layer (the first two parts of a node's name, e.g. features.3, and the node kind).", "kind", "kind", "layer");
    private readonly Option<int> _seed = CommonOptions.Seed(_defaults.Seed);
    private readonly Option<string?> _graphOptimization = TypedOptions.Choice("--graph-optimization", "ONNX Runtime's graph optimisation level of the timed and profiled sessions (all includes the NCHWc layout).", "all", "all", "extended", "basic");
    private readonly Option<bool> _glibcDefaults = TypedOptions.Flag("--glibc-defaults", "Keep glibc's allocator defaults instead of NativeAllocator.UseTrainingSettings.");
    private readonly Option<string?> _output = CommonOptions.OutputFile();
    private readonly Option<string?> _saveOnnx = TypedOptions.OptionalText("--save-onnx", "Folder to write each network's dense, masked and compact ONNX graphs to (for benchmarks/OnnxCudaCheck).", "DIR");

    public InferenceCommandLine()
    {
        Command = new Command("--inference", "Inference speed: dense, masked, compact and per-input skipping, in ONNX Runtime and TorchSharp.")
        {
            _networks, _runs, _warmup, _imagesPerRun, _batches, _threads, _skipRatios, _trainEpochs, _trainLimit, _weights, _silentShare, _openShare,
            _inputSize, _runtimes, _skipInOnnx, _fixedBatch, _mlNetRows, _profile, _profileBy, _seed, _graphOptimization, _glibcDefaults, _output, _saveOnnx,
        };
    }

    public Command Command { get; }

    /// <summary>The arguments, after the rules between options (an <see cref="ArgumentException"/> names the broken one).</summary>
    public InferenceArguments Read(ParseResult parsed)
    {
        var result = new InferenceArguments
        {
            Networks = parsed.GetValue(_networks) ?? _defaults.Networks,
            Runs = parsed.GetValue(_runs),
            Warmup = parsed.GetValue(_warmup),
            ImagesPerRun = parsed.GetValue(_imagesPerRun),
            Batches = parsed.GetValue(_batches) ?? _defaults.Batches,
            Threads = parsed.GetValue(_threads) ?? _defaults.Threads,
            SkipRatios = parsed.GetValue(_skipRatios) ?? _defaults.SkipRatios,
            TrainEpochs = parsed.GetValue(_trainEpochs),
            TrainLimit = parsed.GetValue(_trainLimit),
            Weights = Weights(parsed.GetValue(_weights) ?? []),
            SilentShare = parsed.GetValue(_silentShare),
            OpenShare = parsed.GetValue(_openShare),
            InputSize = parsed.GetValue(_inputSize),
            Runtimes = parsed.GetValue(_runtimes) ?? _defaults.Runtimes,
            Profile = parsed.GetValue(_profile),
            ProfileByLayer = parsed.GetValue(_profileBy) == "layer",
            SkipInOnnx = parsed.GetValue(_skipInOnnx),
            MlNetRows = parsed.GetValue(_mlNetRows),
            FixedBatch = parsed.GetValue(_fixedBatch),
            Seed = parsed.GetValue(_seed),
            GlibcDefaults = parsed.GetValue(_glibcDefaults),
            GraphOptimization = parsed.GetValue(_graphOptimization) switch
            {
                "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            Output = parsed.GetValue(_output),
            SaveOnnx = parsed.GetValue(_saveOnnx),
        };
        foreach (string network in result.Networks)
        {
            _ = NetworkArchitecture.Parse(network.StartsWith(InferenceSubject.TrainedPrefix, StringComparison.Ordinal) ? network[InferenceSubject.TrainedPrefix.Length..] : network, "--networks");
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

    private static Dictionary<string, string> Weights(IEnumerable<string> pairs)
    {
        var weights = new Dictionary<string, string>();
        foreach (string pair in pairs)
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0 || equals == pair.Length - 1)
            {
                throw new ArgumentException($"--weights must be network=file, got '{pair}'.");
            }

            weights[pair[..equals]] = pair[(equals + 1)..];
        }

        return weights;
    }
}
