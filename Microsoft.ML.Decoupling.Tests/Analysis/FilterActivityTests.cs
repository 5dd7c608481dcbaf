using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Analysis.Activity;
using Microsoft.ML.Decoupling.Analysis.Paths;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class FilterActivityTests
{
    [TestMethod]
    public void Compute_EqualsAHandCount_OverallAndPerClass()
    {
        // Layer 0 has 3 filters, layer 1 has 2. Rows: class 0, 0, 1, 1.
        float[] paths =
        [
            1, 0, 1, /**/ 1, 0,
            1, 0, 0, /**/ 1, 1,
            1, 0, 1, /**/ 1, 0,
            1, 0, 0, /**/ 1, 0,
        ];
        var set = new PathSet(paths, [0, 0, 1, 1], SyntheticPaths.Layout(3, 2), ["a", "b"]);

        var activity = FilterActivity.Compute(set);

        Assert.AreEqual(4, activity.Images);
        var first = activity.Layers[0];
        CollectionAssert.AreEqual(new[] { 4, 0, 2 }, first.OnCounts.ToArray());
        Assert.AreEqual(new FilterStateCounts(Energetic: 1, Silent: 1, Dynamic: 1), first.States);
        Assert.AreEqual(6.0 / 12, first.ActiveRatio);
        Assert.AreEqual(1, first.OnCount(2, 0));
        Assert.AreEqual(1, first.OnCount(2, 1));
        Assert.AreEqual(2, first.ImagesOfClass(1));
        Assert.AreEqual(FilterState.Silent, first.StateOf(1));
        var second = activity.Layers[1];
        CollectionAssert.AreEqual(new[] { 4, 1 }, second.OnCounts.ToArray());
        Assert.AreEqual(1, second.OnCount(1, 0));
        Assert.AreEqual(0, second.OnCount(1, 1));
        Assert.AreEqual(0.5, second.OnRate(1, 0));
        Assert.AreEqual(new FilterStateCounts(2, 1, 2), activity.Total);
        Assert.AreEqual(2.0 / 5, activity.DynamicShare);

        // The summary agrees with the existing per-layer state count.
        var states = FilterStateAnalysis.PerLayer(paths, 4, set.Layout);
        CollectionAssert.AreEqual(states.ToArray(), activity.Layers.Select(l => l.ToFilterStates()).ToArray());
    }

    [TestMethod]
    public void Histogram_PutsSilentFirstEnergeticLastAndDynamicInBetween()
    {
        // 10 inputs; one layer of 5 filters open 0, 1, 5, 9 and 10 times.
        var on = new[] { 0, 1, 5, 9, 10 };
        var paths = new float[10 * 5];
        for (int row = 0; row < 10; row++)
        {
            for (int f = 0; f < 5; f++)
            {
                paths[(row * 5) + f] = row < on[f] ? 1 : 0;
            }
        }

        var layer = FilterActivity.Compute(new PathSet(paths, new int[10], SyntheticPaths.Layout(5), ["only"])).Layers[0];
        var histogram = layer.HistogramOf(dynamicBins: 3);
        CollectionAssert.AreEqual(histogram.Lower.Select((lower, b) => (lower, histogram.Upper[b], histogram.Filters[b])).ToArray(), layer.Histogram(dynamicBins: 3).ToArray());

        CollectionAssert.AreEqual(new[] { 0, 1, 4, 7, 10 }, histogram.Lower.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 3, 6, 9, 10 }, histogram.Upper.ToArray());
        CollectionAssert.AreEqual(new[] { 1, 1, 1, 1, 1 }, histogram.Filters.ToArray());
        Assert.AreEqual(layer.States.Silent, histogram.Filters[0]);
        Assert.AreEqual(layer.States.Energetic, histogram.Filters[^1]);
    }
}
