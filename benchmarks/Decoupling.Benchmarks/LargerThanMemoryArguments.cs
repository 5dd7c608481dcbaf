namespace Decoupling.Benchmarks;

/// <summary>Command line of the larger-than-memory training benchmark (<c>--larger-than-memory</c>), with its defaults (read by <see cref="LargerThanMemoryCommandLine"/>).</summary>
internal sealed record LargerThanMemoryArguments
{
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
}
