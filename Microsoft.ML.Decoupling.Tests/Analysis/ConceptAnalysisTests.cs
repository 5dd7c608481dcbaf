using Microsoft.ML.Decoupling.Analysis.Concepts;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class ConceptAnalysisTests
{
    // On tiny 16×16 images network dissection's top 0.5 % leaves one or two pixels per receptive field; a tenth of the
    // activations gives fields of a size comparable to a part.
    private static readonly ConceptOptions _options = new() { TopQuantile = 0.1 };

    [TestMethod]
    public void OccludingAPart_SwitchesOffAReproducibleFilterSetWhoseFieldsOverlapThePart()
    {
        var images = ConceptImage.FromShapes(ResponsiveGatesNetwork.Images);
        using var network = ResponsiveGatesNetwork.Build(seed: 5);
        using var same = ResponsiveGatesNetwork.Build(seed: 5);

        var result = ConceptAnalysis.Analyze(network, images, _options);

        // Measured with seed 5 on these 120 images: when the square outline is occluded, filter 13 of the first gated
        // layer switches off in 85 % of the images and the switched-off filters' fields overlap the outline with a
        // mean IoU of 0.14 (0.13 in the second layer); the bounds below leave room for other CPUs' arithmetic.
        var outline = result.Coverage.Single(c => c.Layer == "features.4" && c.Concept == "square-outline");
        Assert.AreEqual(40, outline.Images);
        Assert.IsGreaterThanOrEqualTo(0.6, outline.MostFrequentShare);
        Assert.IsGreaterThan(0.1, outline.MultiFilterIoU);
        Assert.IsGreaterThan(1.0, outline.MeanSwitchedOff);

        // The same image and part give the same filters, on the same network and on one rebuilt from the seed.
        var image = images.First(i => i.Masks.ContainsKey("square-outline"));
        var first = ConceptAnalysis.Occlude(network, image, "square-outline", result.Thresholds);
        var again = ConceptAnalysis.Occlude(same, image, "square-outline", ConceptAnalysis.Calibrate(same, images, _options.TopQuantile));
        Assert.IsNotEmpty(first.SwitchedOff);
        CollectionAssert.AreEqual(first.SwitchedOff.ToArray(), again.SwitchedOff.ToArray());
        Assert.AreEqual(first.ReceptiveFieldIoU, again.ReceptiveFieldIoU, 1e-12);
    }

    [TestMethod]
    public void Scores_FollowTheirDefinition_AndBadInputIsRefused()
    {
        var images = ConceptImage.FromShapes(ResponsiveGatesNetwork.Images, count: 30);
        using var network = ResponsiveGatesNetwork.Build(seed: 5);

        var result = ConceptAnalysis.Analyze(network, images, _options);

        Assert.HasCount(network.Description.PathLayout.Layers.Count, result.Layers);
        foreach (var layer in result.Layers)
        {
            Assert.AreEqual(layer.Filters.Average(f => f.Score), layer.MeanScore, 1e-12);
            Assert.IsTrue(layer.Filters.All(f => f.Score is >= 0 and <= 1 && f.MeanIoU is >= 0 and <= 1));
        }

        // A single filter's receptive field has about the requested share of the pixels, on average over images.
        var filter = new FilterReference(0, "features.4", 0);
        double share = images.Average(i => ConceptAnalysis.ReceptiveField(network, i, filter, result.Thresholds).Count(p => p) / 256.0);
        Assert.AreEqual(0.1, share, 0.05);

        Assert.ThrowsExactly<ArgumentException>(() => ConceptAnalysis.Occlude(network, images[0], "no-such-part", result.Thresholds));
        var wrongSize = new ConceptImage(new float[64], 0, []);
        Assert.ThrowsExactly<ArgumentException>(() => ConceptAnalysis.Analyze(network, [wrongSize]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ConceptAnalysis.Analyze(network, images, new ConceptOptions { TopQuantile = 1.5 }));
    }
}
