using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Per-input skipping against the masked forward pass, on untrained networks of every architecture whose gates were made
/// input-dependent (about half of each layer's filters open per image), and on a compact network.
/// </summary>
[TestClass]
public sealed class SkippingInferenceTests
{
    private const int Count = 8;
    private const float ScoreTolerance = 1e-4f;

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Architectures => SmallArchitectures.All;

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void RunSkipping_MatchesMaskedForward(string architecture, int channels, int size)
    {
        var shape = new ImageShape(channels, size, size);
        float[] pixels = RandomPixels(shape, Count, seed: 5);
        using var network = NetworkArchitecture.Parse(architecture).Build(shape, 10, seed: 11);
        InputDependentGates.Apply(network, pixels, Count, seed: 12);

        // Ratio 1: every layer with an open filter skips; the masked fallback is covered by the layers with none open
        // and by the test below.
        var (scores, paths) = NetworkInference.RunSkipping(network, pixels, Count, maskedAboveOpenRatio: 1);

        int compared = TorchOnnxParity.Assert(network, pixels, Count, scores, paths, ScoreTolerance);
        Assert.IsGreaterThanOrEqualTo(Count - 1, compared, "Nearly every image takes the same path.");
        double openShare = paths.Average();
        Assert.IsTrue(openShare is > 0.2 and < 0.8, $"The gates open {openShare:P0} of the filters: skipping must have something to skip.");
        var (masked, _) = NetworkInference.Run(network, pixels, Count);
        TestContext.WriteLine($"{architecture}: {compared}/{Count} images compared, {openShare:P0} of filters open, max score diff {masked.Zip(scores, (a, b) => Math.Abs(a - b)).Max():E2}.");
    }

    [TestMethod]
    public void RunSkipping_EveryLayerMasked_MatchesMaskedForward()
    {
        var shape = new ImageShape(3, 16, 16);
        float[] pixels = RandomPixels(shape, Count, seed: 6);
        using var network = NetworkArchitecture.Parse("resnet20").Build(shape, 10, seed: 13);
        InputDependentGates.Apply(network, pixels, Count, seed: 14);

        var (scores, paths) = NetworkInference.RunSkipping(network, pixels, Count, maskedAboveOpenRatio: 0);

        Assert.IsGreaterThanOrEqualTo(Count - 1, TorchOnnxParity.Assert(network, pixels, Count, scores, paths, ScoreTolerance));
    }

    [TestMethod]
    public void RunSkipping_CompactNetwork_MatchesItsMaskedForward()
    {
        var shape = new ImageShape(3, 16, 16);
        float[] pixels = RandomPixels(shape, Count, seed: 7);
        using var gated = NetworkArchitecture.Parse("resnet20").Build(shape, 10, seed: 15);
        InputDependentGates.Apply(gated, pixels, Count, seed: 16);
        // Forcing some filters silent and some always open makes the compaction remove filters and drop gates.
        using (TorchSharp.torch.no_grad())
        {
            foreach (var gate in gated.Gates.Take(3))
            {
                gate.Excite.weight![0].zero_();
                gate.Excite.bias![0] = -1;
            }

            gated.Gates[4].Excite.weight!.zero_();
            gated.Gates[4].Excite.bias!.fill_(1);
        }

        using var compact = NetworkCompaction.Compact(gated, pixels, Count);
        Assert.IsTrue(compact.Layers.Any(l => l.GateDropped) && compact.Layers.Any(l => l.Kept < l.Filters), "The compact network has removed filters and dropped gates.");

        var (scores, paths) = NetworkInference.RunSkipping(compact.Network, pixels, Count, maskedAboveOpenRatio: 1);

        Assert.IsGreaterThanOrEqualTo(Count - 1, TorchOnnxParity.Assert(compact.Network, pixels, Count, scores, paths, ScoreTolerance));
    }

    [TestMethod]
    public void SkippingInference_RatioOutsideUnitInterval_ThrowsNamingTheOption()
    {
        using var network = NetworkArchitecture.Vgg("4,8,4").Build(new ImageShape(1, 8, 8), 3, seed: 1);
        var exception = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SkippingInference(network, 1.5));
        Assert.AreEqual("maskedAboveOpenRatio", exception.ParamName);
    }

    private static float[] RandomPixels(ImageShape shape, int count, int seed) =>
        global::Decoupling.Examples.Shared.RandomPixels.Uniform(count * shape.Size, seed);
}
