using Decoupling.Examples.Shared.Statistics;

namespace Microsoft.ML.Decoupling.Tests.ExamplesShared;

/// <summary>The shared statistics of the examples' and benchmarks' tables.</summary>
[TestClass]
public sealed class SampleStatisticsTests
{
    [TestMethod]
    public void MedianAndQuantile_InterpolateBetweenRanks()
    {
        double[] samples = [4, 1, 3, 2];

        Assert.AreEqual(2.5, SampleStatistics.Median(samples), 1e-12);
        Assert.AreEqual(1.3, SampleStatistics.Quantile(samples, 0.1), 1e-12);
        var summary = TimingSummary.Of(samples);
        Assert.AreEqual(2.5, summary.Median, 1e-12);
        Assert.AreEqual(1.3, summary.P10, 1e-12);
        Assert.AreEqual(3.7, summary.P90, 1e-12);
    }

    [TestMethod]
    public void StandardDeviation_IsTheSampleOne_AndZeroForOneSample()
    {
        Assert.AreEqual(Math.Sqrt(5.0 / 3), SampleStatistics.StandardDeviation([1, 2, 3, 4]), 1e-12);
        Assert.AreEqual(0, SampleStatistics.StandardDeviation([0.7]));
        Assert.ThrowsExactly<ArgumentException>(() => SampleStatistics.StandardDeviation([]));
    }
}
