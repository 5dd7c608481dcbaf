using System.Globalization;

namespace Decoupling.Benchmarks;

/// <summary>Command line of the trade-off benchmark.</summary>
internal sealed record BenchmarkArguments
{
    public IReadOnlyList<string> Architectures { get; init; } = ["vgg", "resnet20"];

    /// <summary>Epochs of the dense baseline.</summary>
    public int DenseEpochs { get; init; } = 4;

    /// <summary>Epochs of every run that starts from the dense baseline (decoupled runs, and the dense run with the same budget).</summary>
    public int FineTuneEpochs { get; init; } = 4;

    public double FineTuneLearningRate { get; init; } = 0.01;

    public int? TrainLimit { get; init; }

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

    public static BenchmarkArguments Parse(string[] args)
    {
        var result = new BenchmarkArguments();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            result = args[i] switch
            {
                "--architectures" => result with { Architectures = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--dense-epochs" => result with { DenseEpochs = PositiveInt(args[i], Value()) },
                "--finetune-epochs" => result with { FineTuneEpochs = PositiveInt(args[i], Value()) },
                "--finetune-lr" => result with { FineTuneLearningRate = Number(args[i], Value()) },
                "--train-limit" => result with { TrainLimit = PositiveInt(args[i], Value()) },
                "--seed" => result with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--lambda-m" => result with { MutualInformationWeight = Number(args[i], Value()) },
                "--settings" => result with { Settings = ParseSettings(Value()) },
                "--step-batches" => result with { StepBatches = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--output" => result with { Output = Value() },
                "--steps-only" => result with { StepsOnly = true },
                "--glibc-defaults" => result with { GlibcDefaults = true },
                "--onednn" => result with { OneDnn = Value() switch { "on" => true, "off" => false, var v => throw new ArgumentException($"--onednn must be on or off, got '{v}'.") } },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --architectures vgg,resnet20 --dense-epochs N --finetune-epochs N --finetune-lr X --train-limit N --seed N --lambda-m X --settings \"λs:R;λs:R\" --step-batches N --steps-only --glibc-defaults --onednn on|off --output file.md"),
            };
        }

        return result;
    }

    private static IReadOnlyList<(double, double)> ParseSettings(string text) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split(':') is [var s, var r]
                ? (Number("--settings", s), Number("--settings", r))
                : throw new ArgumentException($"--settings entry '{pair}' must be λs:R, e.g. 0.05:0.5."))
            .ToList();

    private static int PositiveInt(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"{option} must be a positive integer, got '{text}'.");

    private static double Number(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 ? v : throw new ArgumentException($"{option} must be a non-negative number, got '{text}'.");
}
