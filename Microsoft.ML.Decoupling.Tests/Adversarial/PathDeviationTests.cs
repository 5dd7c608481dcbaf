using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Adversarial;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class PathDeviationTests
{
    [TestMethod]
    public void Deviation_EqualsAHandCount_PerLayerAndWhole()
    {
        // Two layers of one filter, two classes. Class 0: (0, 0), (2, 2), mean (1, 1); class 1: (10, 7), (12, 5), mean
        // (11, 6). Centred rows (−1, −1), (1, 1), (−1, 1), (1, −1): shared covariance I (divided by N = 4), so every
        // distance is a squared Euclidean one.
        var deviation = PathDeviation.FromResponses([0, 0, 2, 2, 10, 7, 12, 5], [0, 0, 1, 1], classes: 2, layerFilters: [1, 1]);
        Assert.AreEqual(3, deviation.Length);
        Assert.AreEqual(2, deviation.PathLength);
        // (3, 1) read as class 0: (2, 0) from its mean; (11, 8) read as class 1: (0, 2); (1, 1) read as class 1: (−10, −5).
        var values = deviation.Compute([3, 1, 11, 8, 1, 1], [0, 1, 1], count: 3);
        CollectionAssert.AreEqual(new float[] { 4, 0, 4, 0, 4, 4, 100, 25, 125 }, values.Select(v => MathF.Round(v, 4)).ToArray());
    }

    [TestMethod]
    public void Deviation_IsZeroAtTheClassMean_AndTheWholePathsExceedsEachLayers()
    {
        // Correlated layers: the whole path's distance is at least each layer's (a marginal of a Gaussian).
        var random = new Random(5);
        int rows = 200;
        var responses = new float[rows * 5];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = i % 3;
            double common = random.NextDouble();
            for (int j = 0; j < 5; j++)
            {
                responses[(i * 5) + j] = (float)(labels[i] + common + (0.5 * random.NextDouble()) + j);
            }
        }

        var deviation = PathDeviation.FromResponses(responses, labels, classes: 3, layerFilters: [2, 3]);
        var classZeroMean = Enumerable.Range(0, 5).Select(j => (float)Enumerable.Range(0, rows).Where(i => labels[i] == 0).Average(i => responses[(i * 5) + j])).ToArray();
        var atMean = deviation.Compute(classZeroMean, [0], count: 1);
        Assert.IsTrue(atMean.All(v => Math.Abs(v) < 1e-3), $"at the class mean: {string.Join(", ", atMean)}");
        var values = deviation.Compute(responses, [.. labels.Select(l => (l + 1) % 3)], rows);
        for (int i = 0; i < rows; i++)
        {
            Assert.IsTrue(values[(i * 3) + 2] >= Math.Max(values[i * 3], values[(i * 3) + 1]) - 1e-3, $"row {i}: {values[i * 3]}, {values[(i * 3) + 1]}, whole {values[(i * 3) + 2]}");
        }
    }

    [TestMethod]
    public void DetectionSet_WithDeviation_HasTheColumn_AndAdversarialPathsDeviateMore()
    {
        var network = TrainedShapesNetworks.Gated;
        var images = TrainedShapesNetworks.TestImages.Select(AdversarialDetectionData.SampleCorrectlyClassified(network, TrainedShapesNetworks.TestImages, perClass: 10, seed: 4));
        var set = AdversarialDetectionData.Create(network, images, new IterativeFastGradientSignMethod(), new DetectionDataOptions { Seed = 4, DeviationCalibration = TrainedShapesNetworks.TrainImages.Slice(0, 600) });
        var view = set.ToDataView(new MLContext(seed: 1));
        Assert.AreEqual(network.PathLayout.Layers.Count + 1, ((VectorDataViewType)view.Schema[DecouplingColumnNames.PathDeviation].Type).Size, "one per gated layer, then the whole path");
        CollectionAssert.AreEqual(set.Rows[0].PathDeviation, view.GetColumn<VBuffer<float>>(DecouplingColumnNames.PathDeviation).First().DenseValues().ToArray());
        Assert.IsTrue(set.AdversarialCount > 10, $"{set.AdversarialCount} successful attacks");
        double clean = set.Rows.Where(r => !r.IsAdversarial).Average(r => r.PathDeviation![^1]);
        double adversarial = set.Rows.Where(r => r.IsAdversarial).Average(r => r.PathDeviation![^1]);
        Assert.IsTrue(adversarial > 2 * clean, $"whole-path deviation: adversarial {adversarial:F1}, clean {clean:F1}");
        Assert.IsNull(AdversarialDetectionData.Create(network, images.Slice(0, 4), new FastGradientSignMethod(0.05)).ToDataView(new MLContext(seed: 1)).Schema.GetColumnOrNull(DecouplingColumnNames.PathDeviation), "no deviation column unless asked for");
    }

    [TestMethod]
    public void Deviation_WithAClassMissing_OrADenseNetworkWithoutItsEncoder_IsRefused()
    {
        var dense = TrainedShapesNetworks.Dense;
        var denseError = Assert.ThrowsExactly<ArgumentException>(() => PathDeviation.Fit(dense, TrainedShapesNetworks.TrainImages.Slice(0, 60)));
        StringAssert.Contains(denseError.Message, "DensePath");
        var images = TrainedShapesNetworks.TestImages;
        var noCircles = images.Select([.. Enumerable.Range(0, images.Count).Where(i => images.GetLabel(i) != 0)]);
        var error = Assert.ThrowsExactly<ArgumentException>(() => AdversarialDetectionData.Create(TrainedShapesNetworks.Gated, images.Slice(0, 4), new FastGradientSignMethod(0.05), new DetectionDataOptions { DeviationCalibration = noCircles }));
        StringAssert.Contains(error.Message, "Class 0");
        Assert.AreEqual("options", error.ParamName);
    }
}
