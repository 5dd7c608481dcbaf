using Microsoft.ML.Decoupling.Analysis.Clustering;
using Microsoft.ML.Decoupling.Analysis.Embedding;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class PathStructureTests
{
    [TestMethod]
    public void Hopkins_IsAboutOneHalfForUniformPaths_AndHighForTwoPrototypes()
    {
        var layout = SyntheticPaths.Layout(64);
        for (int seed = 0; seed < 3; seed++)
        {
            var uniform = SyntheticPaths.Planted(layout, classes: 2, perClass: 250, flip: 0, plantedLayers: [], seed);
            var clustered = SyntheticPaths.Planted(layout, classes: 2, perClass: 250, flip: 0.05, plantedLayers: [0], seed);

            double random = HopkinsStatistic.PerLayer(uniform, seed: seed)[0];
            double twoPrototypes = HopkinsStatistic.PerLayer(clustered, seed: seed)[0];

            Assert.AreEqual(0.5, random, 0.1, $"seed {seed}");
            Assert.IsGreaterThan(0.75, twoPrototypes, $"seed {seed}");
        }
    }

    [TestMethod]
    public void PathDecisionTree_SplitsTwoPlantedGroupsAtThePlantedLayerOnly()
    {
        // Layer 0: noise; layer 1: one prototype per class; layer 2: noise.
        var paths = SyntheticPaths.Planted(SyntheticPaths.Layout(32, 32, 32), classes: 2, perClass: 100, flip: 0.05, plantedLayers: [1], seed: 4);

        var tree = PathDecisionTree.Build(paths);

        Assert.AreEqual(1, tree.Root.SplitLayer);
        Assert.HasCount(2, tree.Root.Children);
        foreach (var child in tree.Root.Children)
        {
            Assert.AreEqual(100, child.Rows.Count);
            Assert.AreEqual(100, child.ClassCounts[child.MajorityClass], "each group holds one class only");
            Assert.IsNull(child.SplitLayer, "the noise layer after the split is not clustered");
        }

        Assert.AreNotEqual(tree.Root.Children[0].MajorityClass, tree.Root.Children[1].MajorityClass);
        Assert.AreEqual<(int, int, int?, string?)>((0, 1, 1, "layer1"), tree.Separation(1, 0));
    }

    [TestMethod]
    public void PathTree_AClassWithoutPaths_PartsFromNoOtherClass()
    {
        var planted = SyntheticPaths.Planted(SyntheticPaths.Layout(16, 16), classes: 2, perClass: 30, flip: 0.05, plantedLayers: [0, 1], seed: 1);
        var paths = new Microsoft.ML.Decoupling.Analysis.Paths.PathSet(planted.AllPaths.ToArray(), planted.LabelArray, planted.Layout, ["c0", "c1", "absent"]);

        var pairs = PathDecisionTree.Build(paths).ClassPairs;

        Assert.IsNotNull(pairs.Single(p => p.ClassA == 0 && p.ClassB == 1).LayerIndex, "the two classes with paths part somewhere");
        Assert.IsTrue(pairs.Where(p => p.ClassB == 2).All(p => p.LayerIndex is null), "the class without paths parts from none");
    }

    [TestMethod]
    public void ActivityCsv_QuotesWholeClassColumnNames()
    {
        var planted = SyntheticPaths.Planted(SyntheticPaths.Layout(4), classes: 2, perClass: 5, flip: 0, plantedLayers: [0], seed: 1);
        var paths = new Microsoft.ML.Decoupling.Analysis.Paths.PathSet(planted.AllPaths.ToArray(), planted.LabelArray, planted.Layout, ["a,b", "c\"d"]);

        string csv = Microsoft.ML.Decoupling.Analysis.Report.ReportTables.ActivityCsv(Microsoft.ML.Decoupling.Analysis.Activity.FilterActivity.Compute(paths));

        Assert.AreEqual("layer,filter,state,on_count,on_rate,\"on_rate_a,b\",\"on_rate_c\"\"d\"", csv.Split('\n')[0].TrimEnd('\r'));
    }

    [TestMethod]
    public void Separability_IsPerfectOnThePlantedLayer_AndNearChanceOnNoise()
    {
        var paths = SyntheticPaths.Planted(SyntheticPaths.Layout(32, 32), classes: 3, perClass: 40, flip: 0.1, plantedLayers: [1], seed: 2);

        var separability = PathSeparability.Compute(paths);

        Assert.AreEqual(1.0 / 3, separability.ChanceAccuracy);
        Assert.AreEqual(1.0, separability.Layers[1].Accuracy);
        Assert.IsLessThan(0.6, separability.Layers[0].Accuracy);
        Assert.IsGreaterThanOrEqualTo(0.95, separability.WholePath.Accuracy);
        Assert.AreEqual(120, separability.Samples);
    }

    [TestMethod]
    public void Embedding_KeepsThreePlantedClustersApart_AndIsSeeded()
    {
        var paths = SyntheticPaths.Planted(SyntheticPaths.Layout(40, 40), classes: 3, perClass: 50, flip: 0.15, plantedLayers: [0, 1], seed: 7);
        var options = new TsneOptions { Iterations = 400, Perplexity = 20, Seed = 3 };

        var embedding = PathEmbedding.Compute(paths, options);
        var again = PathEmbedding.Compute(paths, options);

        Assert.HasCount(150, embedding.Points);
        Assert.IsGreaterThanOrEqualTo(0.95, embedding.NeighborAccuracy);
        CollectionAssert.AreEqual(embedding.Points.ToArray(), again.Points.ToArray());
    }
}
