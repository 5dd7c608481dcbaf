using System.Globalization;

namespace Decoupling.Benchmarks;

/// <summary>Command line of the larger-than-memory training benchmark (<c>--larger-than-memory</c>).</summary>
internal sealed record LargerThanMemoryArguments
{
    public const string Usage =
        "--larger-than-memory [--images 13300] [--data-dir folder] [--steps 20] [--batch 16] [--memory-limit-mb 2048] "
        + "[--cache-dir folder] [--compare-images 256] [--seed 1]";

    /// <summary>3×224×224 float32 pixels are 602 112 bytes an image: 13 300 images are 8.0 GB.</summary>
    public int Images { get; init; } = 13_300;

    /// <summary>The generated image folder (reused when it holds the same images).</summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "decoupling-larger-than-memory");

    /// <summary>Optimiser steps of the large run (DecoupleNetworkEstimator.Options.MaximumSteps).</summary>
    public int Steps { get; init; } = 20;

    public int BatchSize { get; init; } = 16;

    /// <summary>DecoupleNetworkEstimator.Options.TrainingDataInMemoryLimitMegabytes of the large run.</summary>
    public int MemoryLimitMegabytes { get; init; } = 2048;

    /// <summary>DecoupleNetworkEstimator.Options.TrainingCacheFolder (null: the system temporary folder).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Images of the small comparison runs (in memory, and in the disk cache); 0 skips them.</summary>
    public int CompareImages { get; init; } = 256;

    public int Seed { get; init; } = 1;

    public static LargerThanMemoryArguments Parse(IReadOnlyList<string> args)
    {
        var result = new LargerThanMemoryArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string option = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{option} needs a value.");
            result = option switch
            {
                "--images" => result with { Images = Count(option, Value(), 1) },
                "--data-dir" => result with { DataDirectory = Path.GetFullPath(Value()) },
                "--steps" => result with { Steps = Count(option, Value(), 1) },
                "--batch" => result with { BatchSize = Count(option, Value(), 1) },
                "--memory-limit-mb" => result with { MemoryLimitMegabytes = Count(option, Value(), 0) },
                "--cache-dir" => result with { CacheDirectory = Path.GetFullPath(Value()) },
                "--compare-images" => result with { CompareImages = Count(option, Value(), 0) },
                "--seed" => result with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option '{option}'. Usage: {Usage}"),
            };
        }

        return result;
    }

    private static int Count(string option, string text, int minimum) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= minimum
            ? v
            : throw new ArgumentException($"{option} must be an integer of at least {minimum}, got '{text}'.");
}
