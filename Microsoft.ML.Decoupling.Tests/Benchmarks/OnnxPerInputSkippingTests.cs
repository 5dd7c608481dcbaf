using Decoupling.Benchmarks;
using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests.Benchmarks;

/// <summary>
/// The benchmark's per-input skipping graph (issue 18, item 3) computes what the product graphs compute: same scores
/// within 1e-5, identical paths, for the gated network and for its compact network (removed filters, a dropped gate).
/// </summary>
[TestClass]
public sealed class OnnxPerInputSkippingTests
{
    private const int Count = 24;

    [TestMethod]
    public void SkippingGraphs_MatchTheMaskedAndCompactGraphs()
    {
        var shape = new ImageShape(3, 12, 12);
        float[] pixels = global::Decoupling.Examples.Shared.RandomPixels.Uniform(Count * shape.Size, seed: 21);
        using var gated = NetworkArchitecture.Parse("vgg:8,8,M,16,16").Build(shape, 5, seed: 22);
        InputDependentGates.Apply(gated, pixels, Count, seed: 23);
        using (no_grad())
        {
            // Filters no image opens (removed by the compaction) and a layer every image opens fully (its gate dropped).
            gated.Gates[0].Excite.weight![0].zero_();
            gated.Gates[0].Excite.bias![0] = -1;
            gated.Gates[1].Excite.weight!.zero_();
            gated.Gates[1].Excite.bias!.fill_(1);
        }

        using var compact = NetworkCompaction.Compact(gated, pixels, Count);
        Assert.IsTrue(compact.Layers.Any(l => l.GateDropped) && compact.Layers.Any(l => l.Kept < l.Filters), "The compact network has removed filters and dropped gates.");
        AssertSameAsProductGraphs(gated, compact.Network, pixels, Count, shape);
    }

    [TestMethod]
    public void ImagesThatCloseAWholeLayer_RunThroughItsZeroChannel()
    {
        // Without the zero channel the next conv would read zero input channels, on which ONNX Runtime 1.31.1 does not return.
        var shape = new ImageShape(3, 12, 12);
        float[] pixels = global::Decoupling.Examples.Shared.RandomPixels.Uniform(6 * shape.Size, seed: 21);
        using var gated = NetworkArchitecture.Parse("vgg:8,8,M,16,16").Build(shape, 5, seed: 22);
        using (no_grad())
        {
            gated.Gates[1].Excite.weight!.zero_();
            gated.Gates[1].Excite.bias!.fill_(-1);
        }

        // The compact network keeps one filter of the closed layer, with its gate (which never opens it).
        using var compact = NetworkCompaction.Compact(gated, pixels, 6);
        Assert.IsTrue(compact.Layers[1].AllSilent && !compact.Layers[1].GateDropped, "The closed layer keeps a gated filter.");
        AssertSameAsProductGraphs(gated, compact.Network, pixels, 6, shape);
    }

    private static void AssertSameAsProductGraphs(DecoupledNetwork gated, DecoupledNetwork compact, float[] pixels, int count, ImageShape shape)
    {
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1 };
        foreach (var network in new[] { gated, compact })
        {
            Assert.IsTrue(OnnxPerInputSkipping.Supports(network));
            var (scores, paths) = OnnxPerInputSkipping.Compare(DecoupledNetworkOnnxExporter.Export(network), OnnxPerInputSkipping.Export(network), options, pixels, count, shape.Size);
            Assert.IsLessThanOrEqualTo(1e-5, scores, network.IsCompact ? "compact" : "gated");
            Assert.AreEqual(0, paths, network.IsCompact ? "compact" : "gated");
        }
    }

    [TestMethod]
    public void ResidualNetworks_AreRefused()
    {
        using var network = NetworkArchitecture.Parse("resnet8").Build(new ImageShape(3, 8, 8), 4, seed: 1);
        Assert.IsFalse(OnnxPerInputSkipping.Supports(network));
        Assert.ThrowsExactly<NotSupportedException>(() => OnnxPerInputSkipping.Export(network));
    }
}
