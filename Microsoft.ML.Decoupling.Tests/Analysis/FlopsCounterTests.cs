using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class FlopsCounterTests
{
    // Network "4,8,M,6" on 1×8×8, 3 classes: conv0 1→4 @8×8, conv1 4→8 @8×8 (gated), pool, conv2 8→6 @4×4, head 6→3.
    private static DecoupledNetwork Tiny(bool gated) => NetworkArchitecture.Vgg("4,8,M,6").Build(new ImageShape(1, 8, 8), 3, gated, seed: 1);

    [TestMethod]
    public void Dense_EqualsHandCount()
    {
        using var network = Tiny(gated: false);
        long conv0 = 9 * 1 * 4 * 64, conv1 = 9 * 4 * 8 * 64, conv2 = 9 * 8 * 6 * 16, head = 6 * 3;
        Assert.AreEqual(conv0 + conv1 + conv2 + head, FlopsCounter.Dense(network.Description));
        Assert.AreEqual(0, network.Description.PathLayout.PathLength);
    }

    [TestMethod]
    public void ForPath_CountsActiveFiltersTheirSkippedInputsAndTheGate()
    {
        using var network = Tiny(gated: true);
        var layout = network.Description.PathLayout;
        Assert.AreEqual(1, layout.Layers.Count);
        Assert.AreEqual(8, layout.PathLength);
        var path = new float[] { 1, 0, 1, 0, 0, 1, 0, 0 }; // 3 of 8 filters of conv1 on
        long conv0 = 9 * 1 * 4 * 64, conv1 = 9 * 4 * 3 * 64, conv2 = 9 * 3 * 6 * 16, head = 6 * 3;
        long gate = (4 * 1) + (1 * 8); // C=4, C/γ=1, N=8
        Assert.AreEqual(conv0 + conv1 + conv2 + head + gate, FlopsCounter.ForPath(network.Description, path));
        Assert.AreEqual(gate, layout.Layers[0].GateFlops);
        Assert.AreEqual(9 * 4 * 8 * 64, layout.Layers[0].DenseFlops);
    }

    [TestMethod]
    [DataRow(float.NaN)]
    [DataRow(0.7f)]
    [DataRow(-1f)]
    public void PathValuesOtherThanZeroOrOne_AreRefused_NamingThePathAndIndex(float bad)
    {
        using var network = NetworkArchitecture.Vgg(VggLayout.Default).Build(new ImageShape(1, 28, 28), 10, seed: 1);
        int length = network.Description.PathLayout.PathLength;
        var path = new float[length];
        path[5] = bad;
        var flops = Assert.ThrowsExactly<ArgumentException>(() => network.FlopsForPath(path));
        Assert.AreEqual("path", flops.ParamName);
        StringAssert.Contains(flops.Message, "Path 0 holds");
        StringAssert.Contains(flops.Message, "at index 5");

        var paths = new float[3 * 5];
        paths[(2 * 5) + 4] = bad;
        var set = Assert.ThrowsExactly<ArgumentException>(() => new PathSet(paths, [0, 1, 0], SyntheticPaths.Layout(3, 2), ["a", "b"]));
        Assert.AreEqual("paths", set.ParamName);
        StringAssert.Contains(set.Message, "Path 2 holds");
        StringAssert.Contains(set.Message, "at index 4");
    }

    [TestMethod]
    public void ForPath_AllOn_IsDensePlusGates()
    {
        using var network = NetworkArchitecture.Vgg(VggLayout.Default).Build(new ImageShape(1, 28, 28), 10, seed: 1);
        var path = Enumerable.Repeat(1f, network.Description.PathLayout.PathLength).ToArray();
        long gates = network.Description.PathLayout.Layers.Sum(l => l.GateFlops);
        Assert.AreEqual(FlopsCounter.Dense(network.Description) + gates, FlopsCounter.ForPath(network.Description, path));
        Assert.ThrowsExactly<ArgumentException>(() => FlopsCounter.ForPath(network.Description, new float[3]));
    }

    [TestMethod]
    public void PathLayout_GatesEveryConvButTheFirstAndTheLast_AndRoundTripsThroughJson()
    {
        using var network = NetworkArchitecture.Vgg("8,16,M,16,32,M,32").Build(new ImageShape(1, 28, 28), 10, seed: 1);
        var layout = network.Description.PathLayout;
        CollectionAssert.AreEqual(new[] { "features.3", "features.7", "features.10" }, layout.Layers.Select(l => l.Name).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 16, 32 }, layout.Layers.Select(l => l.PathOffset).ToArray());
        Assert.AreEqual(64, layout.PathLength);
        Assert.AreEqual(("features.7", 3), (layout.Locate(19).Layer.Name, layout.Locate(19).Filter));
        var back = CalculationPathLayout.FromJson(layout.ToJson());
        CollectionAssert.AreEqual(layout.Layers.ToArray(), back.Layers.ToArray());
    }
}
