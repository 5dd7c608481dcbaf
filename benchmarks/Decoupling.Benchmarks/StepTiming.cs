using System.Diagnostics;
using Decoupling.Examples.Shared.Statistics;
using Decoupling.Examples.Shared.Tables;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using Microsoft.ML.Decoupling.Training;
using static System.FormattableString;
using static TorchSharp.torch;

namespace Decoupling.Benchmarks;

/// <summary>
/// The cost of a decoupled training step against a dense step of the same network. Both run the trainer's own step
/// (forward, all losses, backward, SGD update; batch 128) on the same batches, in whole runs that alternate between the
/// two networks so that both see the same machine load; the median run is reported. A warm-up run is not counted.
/// The garbage collector's pauses in the counted runs are reported per step too: every step starts a no-GC region
/// (<c>ScalarLifetimeGuard</c>), which counts as a blocking collection, so this is what the guard costs.
/// </summary>
internal static class StepTiming
{
    private const int BatchSize = 128;
    public const int Runs = 5;

    /// <summary>The table of <see cref="Compare"/>'s rows.</summary>
    public static MarkdownTable Table() => new("network", "dense ms / step", "decoupled ms / step", "decoupled / dense", "GC pauses ms / step (dense / decoupled)", "blocking collections / step");

    /// <summary>Times both networks of <paramref name="architecture"/>; returns the cells of a <see cref="Table"/> row.</summary>
    public static string[] Compare(NetworkArchitecture architecture, ImageShape shape, int classes, ImageDataset train, BenchmarkArguments arguments)
    {
        using var dense = architecture.Build(shape, classes, gated: false, seed: arguments.Seed);
        using var gated = architecture.Build(shape, classes, gated: true, seed: arguments.Seed);
        dense.train();
        gated.train();
        using var denseOptimizer = optim.SGD(dense.parameters(), 0.01, momentum: 0.9, weight_decay: 1e-4);
        using var gatedOptimizer = optim.SGD(gated.parameters(), 0.01, momentum: 0.9, weight_decay: 1e-4);
        var denseWeights = new LossWeights(0, 0, 0, 0);
        var gatedWeights = new LossWeights(arguments.MutualInformationWeight, 1, 0.05, 0.5);
        using var gateNoise = SeededGenerator.Create(arguments.Seed);

        // Whole runs alternate (dense run, decoupled run, …), as training runs one network at a time: alternating single
        // steps would make each network pay for the other's memory traffic and allocator state.
        var batches = Enumerable.Range(0, arguments.StepBatches).Select(b => Batch(train, shape, b)).ToList();
        var denseTimes = new List<double>();
        var gatedTimes = new List<double>();
        double densePause = 0, gatedPause = 0;
        int collections = 0;
        for (int run = 0; run <= Runs; run++)
        {
            var denseRun = TimeRun(dense, denseOptimizer, batches, denseWeights, gateNoise);
            var gatedRun = TimeRun(gated, gatedOptimizer, batches, gatedWeights, gateNoise);
            if (run > 0)
            {
                // Run 0 warms both up.
                denseTimes.Add(denseRun.Milliseconds);
                gatedTimes.Add(gatedRun.Milliseconds);
                densePause += denseRun.PauseMilliseconds;
                gatedPause += gatedRun.PauseMilliseconds;
                collections += denseRun.Collections + gatedRun.Collections;
            }
        }

        double d = SampleStatistics.Median(denseTimes), g = SampleStatistics.Median(gatedTimes);
        int steps = Runs * batches.Count;
        return [architecture.ToString(), Invariant($"{d:F1}"), Invariant($"{g:F1}"), Invariant($"{g / d:F2}×"),
            Invariant($"{densePause / steps:F2} / {gatedPause / steps:F2}"), Invariant($"{(double)collections / (2 * steps):F2}")];
    }

    private static (float[] Pixels, long[] Labels) Batch(ImageDataset train, ImageShape shape, int b)
    {
        var pixels = new float[BatchSize * shape.Size];
        var labels = new long[BatchSize];
        for (int i = 0; i < BatchSize; i++)
        {
            int index = ((b * BatchSize) + i) % train.Count;
            train.GetImage(index).CopyTo(pixels.AsSpan(i * shape.Size, shape.Size));
            labels[i] = train.GetLabel(index);
        }

        return (pixels, labels);
    }

    /// <summary>
    /// Mean milliseconds per step over one run through <paramref name="batches"/>, and the run's garbage-collection pauses
    /// (milliseconds, all threads' collections) and blocking (generation 2) collections.
    /// </summary>
    private static (double Milliseconds, double PauseMilliseconds, int Collections) TimeRun(
        DecoupledNetwork network, TorchSharp.Modules.SGD optimizer, List<(float[] Pixels, long[] Labels)> batches, LossWeights weights, Generator gateNoise)
    {
        var pause = GC.GetTotalPauseDuration();
        int collections = GC.CollectionCount(2);
        var clock = Stopwatch.StartNew();
        foreach (var (pixels, labels) in batches)
        {
            TrainingStep.Run(network, optimizer, pixels, labels, weights, CPU, gateNoise);
        }

        double milliseconds = clock.Elapsed.TotalMilliseconds / batches.Count;
        return (milliseconds, (GC.GetTotalPauseDuration() - pause).TotalMilliseconds, GC.CollectionCount(2) - collections);
    }
}
