using System.Globalization;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;
using static TorchSharp.torch;

namespace Decoupling.Benchmarks;

/// <summary>
/// The cost of a decoupled training step against a dense step of the same network: both run the library's trainer (one
/// epoch over the same images, batch 128), alternately, after one warm-up run each; the median run gives ms per step.
/// </summary>
internal static class StepTiming
{
    public const int Repeats = 5;

    public static string Compare(NetworkArchitecture architecture, ImageShape shape, int classes, ImageDataset train, BenchmarkArguments arguments, Action<string> log)
    {
        var subset = train.Slice(0, Math.Min(train.Count, arguments.StepBatches * 128));
        manual_seed(arguments.Seed);
        using var dense = architecture.Build(shape, classes, gated: false);
        manual_seed(arguments.Seed);
        using var gated = architecture.Build(shape, classes, gated: true);
        var denseSettings = new TrainingSettings(1, 128, 0.01, 0.9, 1e-4, new LossWeights(0, 0, 0, 0), arguments.Seed);
        var gatedSettings = denseSettings with { Weights = new LossWeights(arguments.MutualInformationWeight, 1, 0.05, 0.5) };
        var denseTimes = new List<double>();
        var gatedTimes = new List<double>();
        int batches = (subset.Count + 127) / 128;
        for (int r = 0; r <= Repeats; r++)
        {
            double d = new DecouplingTrainer(denseSettings).Train(dense, subset)[0].Seconds * 1000 / batches;
            double g = new DecouplingTrainer(gatedSettings).Train(gated, subset)[0].Seconds * 1000 / batches;
            if (r > 0)
            {
                // Run 0 warms up both networks.
                denseTimes.Add(d);
                gatedTimes.Add(g);
            }
        }

        double denseMs = Median(denseTimes), gatedMs = Median(gatedTimes);
        string line = string.Create(CultureInfo.InvariantCulture, $"| {architecture} | {denseMs:F1} | {gatedMs:F1} | {gatedMs / denseMs:F2}× |");
        log($"step time: {line}");
        return line;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
