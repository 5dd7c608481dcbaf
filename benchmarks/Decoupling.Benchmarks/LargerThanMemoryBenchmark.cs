using System.Diagnostics;
using System.Globalization;
using Decoupling.Examples.Shared.Tables;
using Microsoft.ML;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.Runtime;
using static System.FormattableString;

namespace Decoupling.Benchmarks;

/// <summary>
/// Streaming training (issue 11): ResNet-18 trained for a fixed number of steps through the ML.NET pipeline (image folder
/// loading, then DecoupleNetwork) on a generated folder of 224×224 RGB images whose float32 pixels exceed memory limits,
/// with the time of the reading pass, the time per step, the cache size and the peak resident set (VmHWM).
/// </summary>
internal static class LargerThanMemoryBenchmark
{
    private const long BytesPerImage = 3L * SyntheticImageFolder.Side * SyntheticImageFolder.Side * sizeof(float);

    /// <summary>Runs the benchmark; <paramref name="args"/> (the whole command line) is quoted in the report.</summary>
    public static int Run(LargerThanMemoryArguments arguments, IReadOnlyList<string> args, Action<string> log)
    {

        log($"Image folder: {arguments.DataDirectory} ({arguments.Images} images of 3×224×224, {arguments.Images * BytesPerImage / 1e9:F2} GB of float32 pixels).");
        var generation = Stopwatch.StartNew();
        bool reused = SyntheticImageFolder.Ensure(arguments.DataDirectory, arguments.Images, arguments.Seed, log);
        log(reused ? "Reusing the images generated before." : $"Generated in {generation.Elapsed.TotalSeconds:F0} s.");
        var images = SyntheticImageFolder.List(arguments.DataDirectory);

        var table = new MarkdownTable("run", "images", "float32 pixels", "in-memory limit", "store", "reading pass", "steps", "s / step", "peak RSS (VmHWM)");
        var large = Fit(arguments, images, arguments.MemoryLimitMegabytes, log);
        table.Add(Row("all images", arguments.MemoryLimitMegabytes, large));
        if (arguments.CompareImages > 0)
        {
            // Every k-th image, so that all classes are there; VmHWM is reset before each run where the kernel allows it.
            int stride = Math.Max(1, images.Count / arguments.CompareImages);
            var subset = images.Where((_, i) => i % stride == 0).Take(arguments.CompareImages).ToList();
            table.Add(Row("small, in memory", 1 << 20, Fit(arguments, subset, 1 << 20, log)));
            table.Add(Row("small, disk cache", 0, Fit(arguments, subset, 0, log)));
        }

        Console.WriteLine();
        Console.Write(ReportHeader.For(args));
        Console.WriteLine($"ResNet-18 (gated), batch {arguments.BatchSize}, up to {arguments.Steps} steps, 224×224 RGB JPEG image folder, torch threads {TorchSharp.torch.get_num_threads()}, {Environment.ProcessorCount} logical CPUs.");
        Console.WriteLine();
        Console.Write(table.ToString());
        return 0;
    }

    private sealed record Result(int Images, string Store, double ReadSeconds, int Steps, double SecondsPerStep, long PeakRssBytes, bool PeakReset);

    private static Result Fit(LargerThanMemoryArguments arguments, IReadOnlyList<(string Path, string Label)> images, int limitMegabytes, Action<string> log)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        bool peakReset = ProcessMemory.TryResetPeak();
        var ml = new MLContext(seed: arguments.Seed);
        string store = "?";
        double readSeconds = double.NaN;
        ml.Log += (_, e) =>
        {
            if (e.Kind >= ChannelMessageKind.Info && e.Source.Contains(nameof(DecoupleNetworkEstimator), StringComparison.Ordinal))
            {
                log(e.RawMessage);
                if (e.RawMessage.StartsWith("Training data:", StringComparison.Ordinal))
                {
                    store = e.RawMessage.Contains("disk cache", StringComparison.Ordinal) ? "disk cache" : "memory";
                    int at = e.RawMessage.LastIndexOf("(read in ", StringComparison.Ordinal);
                    readSeconds = double.Parse(e.RawMessage[(at + 9)..].Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        };

        int batchesPerEpoch = (images.Count + arguments.BatchSize - 1) / arguments.BatchSize;
        int epochs = (arguments.Steps + batchesPerEpoch - 1) / batchesPerEpoch;
        var pipelineOptions = new ImageFolderPipelineOptions { ImageWidth = SyntheticImageFolder.Side, ImageHeight = SyntheticImageFolder.Side };
        var options = pipelineOptions.ConfigureNetwork(new DecoupleNetworkEstimator.Options
        {
            Architecture = NetworkArchitecture.ResNet18(),
            Epochs = epochs,
            BatchSize = arguments.BatchSize,
            MaximumSteps = arguments.Steps,
            LearningRate = 0.01,
            Seed = arguments.Seed,
            TrainingDataInMemoryLimitMegabytes = limitMegabytes,
            TrainingCacheFolder = arguments.CacheDirectory,
        });
        // The whole folder through the library's loader; a subset as the same two columns.
        var data = images.Count == SyntheticImageFolder.List(arguments.DataDirectory).Count
            ? ImageFolderLoader.Load(ml, arguments.DataDirectory)
            : ml.Data.LoadFromEnumerable(images.Select(i => new FolderImage { ImagePath = i.Path, Label = i.Label }));
        var pipeline = ImageFolderLoader.CreatePipeline(ml, pipelineOptions).Append(ml.Transforms.DecoupleNetwork(options));
        log($"Fitting on {images.Count} images, in-memory limit {limitMegabytes} MB, {epochs} epoch(s), at most {arguments.Steps} steps.");
        using var model = pipeline.Fit(data);
        var history = model.LastTransformer.TrainingHistory;
        int steps = Math.Min(arguments.Steps, epochs * batchesPerEpoch);
        var result = new Result(images.Count, store, readSeconds, steps, history.Sum(r => r.Seconds) / steps, ProcessMemory.PeakResidentBytes(), peakReset);
        log($"Done: {result}.");
        return result;
    }

    private static string[] Row(string run, int limitMegabytes, Result result) =>
    [
        run, Invariant($"{result.Images}"), Invariant($"{result.Images * BytesPerImage / 1e9:F2} GB"), limitMegabytes >= 1 << 20 ? "none" : Invariant($"{limitMegabytes} MB"),
        result.Store, Invariant($"{result.ReadSeconds:F1} s"), Invariant($"{result.Steps}"), Invariant($"{result.SecondsPerStep:F2}"),
        Invariant($"{result.PeakRssBytes / 1e9:F2} GB{(result.PeakReset ? "" : " (not reset: includes the runs before)")}"),
    ];

    /// <summary>A row of the image folder (the column names ImageFolderLoader.CreatePipeline reads by default).</summary>
    private sealed class FolderImage
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
