using System.Diagnostics;
using Decoupling.Examples.Shared.Statistics;

namespace Decoupling.Benchmarks;

/// <summary>
/// Times several variants of the same work interleaved: after a warm-up of each, every round runs each variant once
/// (the order rotating from round to round), so that load changes on the machine hit every variant alike.
/// </summary>
internal static class InterleavedTimer
{
    /// <summary>Per variant, the median and the 10th / 90th percentiles of <paramref name="runs"/> timed calls, in milliseconds divided by <paramref name="imagesPerCall"/>.</summary>
    public static IReadOnlyList<TimingSummary> Measure(IReadOnlyList<Action> variants, int warmup, int runs, int imagesPerCall)
    {
        foreach (var call in variants)
        {
            for (int i = 0; i < warmup; i++)
            {
                call();
            }
        }

        var samples = variants.Select(_ => new List<double>(runs)).ToArray();
        for (int round = 0; round < runs; round++)
        {
            for (int k = 0; k < variants.Count; k++)
            {
                int v = (round + k) % variants.Count;
                long start = Stopwatch.GetTimestamp();
                variants[v]();
                samples[v].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds / imagesPerCall);
            }
        }

        return [.. samples.Select(TimingSummary.Of)];
    }
}
