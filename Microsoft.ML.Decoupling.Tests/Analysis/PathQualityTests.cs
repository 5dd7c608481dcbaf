using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class PathQualityTests
{
    // Two layers (3 + 2 filters), five paths of classes 0, 0, 1, 1, 1:
    //   layer0: filter 0 always on (energetic), filter 1 never (silent), filter 2 on for the class-1 paths (dynamic);
    //   layer1: filter 3 on for paths 0 and 3 (dynamic), filter 4 always on (energetic).
    private static readonly float[] Paths =
    [
        1, 0, 0, 1, 1,
        1, 0, 0, 0, 1,
        1, 0, 1, 0, 1,
        1, 0, 1, 1, 1,
        1, 0, 1, 0, 1,
    ];

    private static readonly int[] Labels = [0, 0, 1, 1, 1];

    [TestMethod]
    public void Compute_CountsStatesAndDistinctPaths_AsByHand()
    {
        var set = new PathSet([.. Paths], [.. Labels], SyntheticPaths.Layout(3, 2), ["a", "b"]);

        var quality = PathQuality.Compute(set, neighbors: 1);

        Assert.AreEqual(5, quality.Paths);
        Assert.AreEqual(4, quality.DistinctPaths, "paths 2 and 4 are the same");
        Assert.AreEqual(("layer0", 3), (quality.Layers[0].Layer, quality.Layers[0].Filters));
        Assert.AreEqual(new FilterStateCounts(Energetic: 1, Silent: 1, Dynamic: 1), quality.Layers[0].States);
        Assert.AreEqual(("layer1", 2), (quality.Layers[1].Layer, quality.Layers[1].Filters));
        Assert.AreEqual(new FilterStateCounts(Energetic: 1, Silent: 0, Dynamic: 1), quality.Layers[1].States);
        Assert.IsTrue(quality.LayerClassifierAccuracies.All(double.IsNaN), "no network, no classifier accuracy per layer");
        Assert.AreEqual(2, quality.DynamicFilters);
        Assert.AreEqual(2 / 5.0, quality.DynamicShare, 1e-12);
        Assert.AreEqual(1 / 2.0, quality.Layers[1].States.Dynamic / (double)quality.Layers[1].Filters, 1e-12);
        Assert.IsTrue(double.IsNaN(quality.MeanClassifierAccuracy), "no network, no classifier accuracy");
        Assert.AreEqual(5, quality.NeighborSamples);
        Assert.AreEqual(1, quality.Neighbors);
    }

    [TestMethod]
    public void Compute_WholePathKnn_IsOneForClassPrototypes_AndChanceForNoise()
    {
        var layout = SyntheticPaths.Layout(16, 16);
        var prototypes = SyntheticPaths.Planted(layout, classes: 4, perClass: 50, flip: 0, plantedLayers: [0, 1], seed: 2);
        var noise = SyntheticPaths.Planted(layout, classes: 4, perClass: 50, flip: 0, plantedLayers: [], seed: 2);

        Assert.AreEqual(1.0, PathQuality.Compute(prototypes).WholePathNeighborAccuracy, 1e-12);
        Assert.AreEqual(0.25, PathQuality.Compute(noise).WholePathNeighborAccuracy, 0.12);
        Assert.AreEqual(4, PathQuality.Compute(prototypes, neighbors: 0).DistinctPaths, "one path per class");
    }

    [TestMethod]
    public void Compute_WithoutNeighbors_SkipsTheKnn_AndRejectsBadArguments()
    {
        var set = new PathSet([.. Paths], [.. Labels], SyntheticPaths.Layout(3, 2), ["a", "b"]);

        var quality = PathQuality.Compute(set, neighbors: 0);

        Assert.IsTrue(double.IsNaN(quality.WholePathNeighborAccuracy));
        Assert.AreEqual(0, quality.Neighbors);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PathQuality.Compute(set, neighbors: -1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PathQuality.Compute(set, maxSamples: 1));
        var single = new PathSet([1, 0, 0, 1, 1], [0], SyntheticPaths.Layout(3, 2), ["a", "b"]);
        var error = Assert.ThrowsExactly<ArgumentException>(() => PathQuality.Compute(single));
        StringAssert.Contains(error.Message, "neighbors 0");
        Assert.AreEqual(1, PathQuality.Compute(single, neighbors: 0).DistinctPaths);
    }

    [TestMethod]
    public void Compute_WithTheNetwork_ScoresEachLayersPathClassifier()
    {
        using var network = NetworkArchitecture.Vgg("4,6,4").Build(new ImageShape(1, 8, 8), classes: 2, seed: 3);
        var layout = network.Description.PathLayout;
        Assert.AreEqual(6, layout.PathLength, "one gated layer of 6 filters");
        // W_cla of the gated layer: class 0 reads filter 0, class 1 reads filter 1.
        using (no_grad())
        {
            var weight = new float[2 * 6];
            weight[0] = 1;
            weight[6 + 1] = 1;
            network.Program.PathClassifiers[0].weight!.copy_(tensor(weight, new long[] { 2, 6 }));
        }

        // Paths 0–2 light filter 0 (predict class 0), path 3 lights filter 1 (class 1); labels 0, 0, 1, 1: 3 of 4 right.
        float[] paths =
        [
            1, 0, 0, 0, 0, 1,
            1, 0, 1, 0, 0, 0,
            1, 0, 0, 1, 0, 0,
            0, 1, 0, 0, 0, 0,
        ];
        var set = new PathSet(paths, [0, 0, 1, 1], layout, ["a", "b"]);

        var quality = PathQuality.Compute(set, network, neighbors: 0);

        Assert.AreEqual(0.75, quality.LayerClassifierAccuracies[0], 1e-12);
        Assert.AreEqual(0.75, quality.MeanClassifierAccuracy, 1e-12);
        var other = new PathSet(new float[4 * 5], [0, 0, 1, 1], SyntheticPaths.Layout(5), ["a", "b"]);
        Assert.ThrowsExactly<ArgumentException>(() => PathQuality.Compute(other, network, neighbors: 0));
    }

    [TestMethod]
    public void TrainingTally_CountsNoiseFreeBitsOverBatches_AsByHand()
    {
        using var network = NetworkArchitecture.Vgg("4,6,4").Build(new ImageShape(1, 8, 8), classes: 2, seed: 3);
        using (no_grad())
        {
            var weight = new float[2 * 6];
            weight[0] = 1;
            weight[6 + 1] = 1;
            network.Program.PathClassifiers[0].weight!.copy_(tensor(weight, new long[] { 2, 6 }));
        }

        var tally = new PathQualityTally(network.Description.PathLayout);
        using var scope = NewDisposeScope();
        // Batch 1: two images with the same bits (filters 0 and 5 open); batch 2: one image with filter 1 open.
        // Filter 0 is open for 2 of 3 images (dynamic), filter 1 for 1 of 3 (dynamic), filter 5 for 2 of 3 (dynamic);
        // filters 2–4 never (silent): 3 of 6 dynamic. Distinct paths: 2 of 3 images. Classifier: images 1–2 predict
        // class 0 (labels 0, 1: one right), image 3 predicts class 1 (label 1: right): 2 of 3.
        tally.Add([tensor(new float[] { 2, -1, -1, -1, -1, 0.5f, 3, -2, -1, -1, -1, 0.1f }, new long[] { 2, 6 })], tensor(new long[] { 0, 1 }), network.Program.PathClassifiers);
        tally.Add([tensor(new float[] { -1, 1, -1, -1, -1, 0 }, new long[] { 1, 6 })], tensor(new long[] { 1 }), network.Program.PathClassifiers);

        Assert.AreEqual(0.5, tally.DynamicShare, 1e-12);
        Assert.AreEqual(2 / 3.0, tally.DistinctPathShare, 1e-12);
        Assert.AreEqual(2 / 3.0, tally.ClassifierAccuracy, 1e-12);
    }
}
