using System.CommandLine;
using Decoupling.Examples.Shared.CommandLine;

namespace Decoupling.Benchmarks;

/// <summary>The options of the larger-than-memory training benchmark, the <c>--larger-than-memory</c> subcommand.</summary>
internal sealed class LargerThanMemoryCommandLine
{
    private static readonly LargerThanMemoryArguments _defaults = new();
    private readonly Option<int> _images = TypedOptions.Integer("--images", "Generated 3×224×224 images (13 300 are 8.0 GB of float32 pixels).", _defaults.Images, minimum: 1);
    private readonly Option<string> _dataDirectory = TypedOptions.Text("--data-dir", "The generated image folder (reused when it holds the same images).", _defaults.DataDirectory, "DIR");
    private readonly Option<int> _steps = TypedOptions.Integer("--steps", "Optimiser steps of the large run.", _defaults.Steps, minimum: 1);
    private readonly Option<int> _batch = TypedOptions.Integer("--batch", "Batch size.", _defaults.BatchSize, minimum: 1);
    private readonly Option<int> _memoryLimit = TypedOptions.Integer("--memory-limit-mb", "In-memory limit of the training data of the large run, in MB.", _defaults.MemoryLimitMegabytes, minimum: 0);
    private readonly Option<string?> _cacheDirectory = TypedOptions.OptionalText("--cache-dir", "Folder of the training data's disk cache; default: the system temporary folder.", "DIR");
    private readonly Option<int> _compareImages = TypedOptions.Integer("--compare-images", "Images of the small comparison runs (in memory, and in the disk cache); 0 skips them.", _defaults.CompareImages, minimum: 0);
    private readonly Option<int> _seed = CommonOptions.Seed(_defaults.Seed);

    public LargerThanMemoryCommandLine()
    {
        Command = new Command("--larger-than-memory", "Streaming training: ResNet-18 on a generated 224×224 image folder larger than the in-memory limit.")
        {
            _images, _dataDirectory, _steps, _batch, _memoryLimit, _cacheDirectory, _compareImages, _seed,
        };
    }

    public Command Command { get; }

    public LargerThanMemoryArguments Read(ParseResult parsed) => new()
    {
        Images = parsed.GetValue(_images),
        DataDirectory = Path.GetFullPath(parsed.GetRequiredValue(_dataDirectory)),
        Steps = parsed.GetValue(_steps),
        BatchSize = parsed.GetValue(_batch),
        MemoryLimitMegabytes = parsed.GetValue(_memoryLimit),
        CacheDirectory = parsed.GetValue(_cacheDirectory) is { } cache ? Path.GetFullPath(cache) : null,
        CompareImages = parsed.GetValue(_compareImages),
        Seed = parsed.GetValue(_seed),
    };
}
