namespace Decoupling.Examples.Shared.Statistics;

/// <summary>The median of timed runs and their 10th and 90th percentiles, as the benchmark tables report them.</summary>
/// <param name="Median">The median sample.</param>
/// <param name="P10">The 10th percentile.</param>
/// <param name="P90">The 90th percentile.</param>
public sealed record TimingSummary(double Median, double P10, double P90)
{
    /// <summary>Summarises <paramref name="samples"/>.</summary>
    public static TimingSummary Of(IReadOnlyCollection<double> samples) =>
        new(SampleStatistics.Median(samples), SampleStatistics.Quantile(samples, 0.1), SampleStatistics.Quantile(samples, 0.9));
}
