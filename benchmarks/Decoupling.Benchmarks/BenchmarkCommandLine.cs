using System.CommandLine;
using System.Globalization;
using Decoupling.Examples.Shared.CommandLine;
using Microsoft.ML.Decoupling.Modules;

namespace Decoupling.Benchmarks;

/// <summary>
/// The benchmarks' command line: the accuracy / FLOPs trade-off with the training-step timing (no subcommand), and the
/// <c>--inference</c>, <c>--larger-than-memory</c> and <c>--convolution-layouts</c> subcommands, each with its own options.
/// </summary>
internal sealed class BenchmarkCommandLine
{
    private static readonly BenchmarkArguments _defaults = new();
    private readonly Option<IReadOnlyList<string>?> _architectures = TypedOptions.TextList("--architectures", "Networks (vgg, resnet20, resnet<6n+2>, …).", _defaults.Architectures);
    private readonly Option<int> _denseEpochs = TypedOptions.Integer("--dense-epochs", "Epochs of the dense baseline.", _defaults.DenseEpochs, minimum: 1);
    private readonly Option<int> _fineTuneEpochs = TypedOptions.Integer("--finetune-epochs", "Epochs of every run that starts from the dense baseline.", _defaults.FineTuneEpochs, minimum: 1);
    private readonly Option<double> _fineTuneRate = TypedOptions.Number("--finetune-lr", "Learning rate of those runs.", _defaults.FineTuneLearningRate, minimum: 0);
    private readonly Option<int?> _trainLimit = CommonOptions.TrainLimit("Training images (the first N of Fashion-MNIST; default: all).");
    private readonly Option<int?> _testLimit = TypedOptions.OptionalInteger("--test-limit", "Test images (the first N; default: all).", minimum: 1);
    private readonly Option<string?> _dataDirectory = TypedOptions.OptionalText("--data-dir", "The Fashion-MNIST folder; default: $FASHION_MNIST_DIR or the Debian package's folder.", "DIR");
    private readonly Option<int> _seed = CommonOptions.Seed(_defaults.Seed);
    private readonly Option<double> _lambdaM = TypedOptions.Number("--lambda-m", "λm of the decoupled runs.", _defaults.MutualInformationWeight, minimum: 0);
    private readonly Option<string?> _settings = TypedOptions.OptionalText("--settings", "(λs, R) of the decoupled runs, as λs:R;λs:R. [default: 0.05:0.5;0.05:0.3]", "λs:R;…");
    private readonly Option<int> _stepBatches = TypedOptions.Integer("--step-batches", "Batches per timed run of the step-time comparison (0 skips it).", _defaults.StepBatches, minimum: 0);
    private readonly Option<bool> _stepsOnly = TypedOptions.Flag("--steps-only", "Only the step-time comparison, no training runs.");
    private readonly Option<bool> _glibcDefaults = TypedOptions.Flag("--glibc-defaults", "Keep glibc's allocator defaults (to measure what NativeAllocator.UseTrainingSettings gains).");
    private readonly Option<string?> _oneDnn = TypedOptions.Choice("--onednn", "off switches libtorch's oneDNN off before anything runs (benchmarks/convolution-workaround-cost.sh).", "on", "on", "off");
    private readonly Option<string?> _output = CommonOptions.OutputFile();

    public BenchmarkCommandLine(Func<InferenceArguments, int> inference, Func<LargerThanMemoryArguments, int> largerThanMemory, Func<ConvolutionLayoutArguments, int> convolutionLayouts)
    {
        var inferenceCommand = new InferenceCommandLine();
        CommandLineProgram.SetAction(inferenceCommand.Command, inferenceCommand.Read, inference);
        var largerThanMemoryCommand = new LargerThanMemoryCommandLine();
        CommandLineProgram.SetAction(largerThanMemoryCommand.Command, largerThanMemoryCommand.Read, largerThanMemory);
        var convolutionLayoutsCommand = new ConvolutionLayoutCommandLine();
        CommandLineProgram.SetAction(convolutionLayoutsCommand.Command, convolutionLayoutsCommand.Read, convolutionLayouts);
        Command = new RootCommand("Accuracy / FLOPs trade-off on Fashion-MNIST (a dense baseline, then decoupled networks from it) and the cost of a decoupled training step; the subcommands time inference and streaming training, and probe convolution layouts.")
        {
            _architectures, _denseEpochs, _fineTuneEpochs, _fineTuneRate, _trainLimit, _testLimit, _dataDirectory, _seed, _lambdaM, _settings,
            _stepBatches, _stepsOnly, _glibcDefaults, _oneDnn, _output, inferenceCommand.Command, largerThanMemoryCommand.Command, convolutionLayoutsCommand.Command,
        };
        Command.HelpName = "dotnet run -c Release --project benchmarks/Decoupling.Benchmarks --";
    }

    public RootCommand Command { get; }

    /// <summary>The arguments; an <see cref="ArgumentException"/> names an architecture that is not known.</summary>
    public BenchmarkArguments Read(ParseResult parsed)
    {
        var result = new BenchmarkArguments
        {
            Architectures = parsed.GetValue(_architectures) ?? _defaults.Architectures,
            DenseEpochs = parsed.GetValue(_denseEpochs),
            FineTuneEpochs = parsed.GetValue(_fineTuneEpochs),
            FineTuneLearningRate = parsed.GetValue(_fineTuneRate),
            TrainLimit = parsed.GetValue(_trainLimit),
            TestLimit = parsed.GetValue(_testLimit),
            DataDirectory = parsed.GetValue(_dataDirectory),
            Seed = parsed.GetValue(_seed),
            MutualInformationWeight = parsed.GetValue(_lambdaM),
            Settings = parsed.GetValue(_settings) is { } settings ? ParseSettings(settings) : _defaults.Settings,
            StepBatches = parsed.GetValue(_stepBatches),
            StepsOnly = parsed.GetValue(_stepsOnly),
            GlibcDefaults = parsed.GetValue(_glibcDefaults),
            OneDnn = parsed.GetValue(_oneDnn) == "on",
            Output = parsed.GetValue(_output),
        };
        foreach (string architecture in result.Architectures)
        {
            _ = NetworkArchitecture.Parse(architecture, "--architectures");
        }

        return result;
    }

    private static List<(double, double)> ParseSettings(string text) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split(':') is [var s, var r] && Number(s) is { } sparsity && Number(r) is { } ratio
                ? (sparsity, ratio)
                : throw new ArgumentException($"--settings entry '{pair}' must be λs:R with non-negative numbers, e.g. 0.05:0.5."))
            .ToList();

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 && double.IsFinite(v) ? v : null;
}
