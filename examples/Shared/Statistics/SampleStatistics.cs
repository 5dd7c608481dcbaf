namespace Decoupling.Examples.Shared.Statistics;

/// <summary>Medians and percentiles of measured samples (linear interpolation between the two nearest ranks), and their spread.</summary>
public static class SampleStatistics
{
    /// <summary>The median of <paramref name="samples"/> (the mean of the two middle values for an even count).</summary>
    public static double Median(IEnumerable<double> samples) => Quantile(samples, 0.5);

    /// <summary>The <paramref name="q"/>-quantile of <paramref name="samples"/>, q in [0, 1].</summary>
    public static double Quantile(IEnumerable<double> samples, double q)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1);
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("No samples to take a quantile of.", nameof(samples));
        }

        double position = q * (sorted.Length - 1);
        int low = (int)Math.Floor(position);
        int high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((position - low) * (sorted[high] - sorted[low]));
    }

    /// <summary>
    /// The sample standard deviation of <paramref name="samples"/> (divided by n − 1); 0 for a single sample, whose
    /// spread the tables show as ± 0 rather than leave out.
    /// </summary>
    public static double StandardDeviation(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("No samples to take a standard deviation of.", nameof(samples));
        }

        double mean = samples.Average();
        return samples.Count > 1 ? Math.Sqrt(samples.Sum(v => (v - mean) * (v - mean)) / (samples.Count - 1)) : 0;
    }
}
