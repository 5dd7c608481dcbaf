using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// A compact layer that keeps every filter and its gate, with a width that is not a multiple of the ONNX channel
/// alignment: its conv and mask are padded with zero filters, whose mask columns are not path bits. Before the fix the
/// path took the padding as bits: later layers' bits were read from shifted columns, or (nothing removed anywhere) the
/// Path output was longer than the path.
/// </summary>
[TestClass]
public sealed class CompactPathAlignmentTests
{
    private const int Count = 16;

    [TestMethod]
    [DataRow("vgg:8,12,M,16,8", 1, 16, 8, true)]
    [DataRow("vgg:8,12,M,16,8", 1, 16, 8, false)]
    [DataRow("resnet20", 3, 16, 32, true)]
    [DataRow("googlenet", 3, 8, 16, true)]
    public void CompactGraph_PathMatchesTorch_WhenAnAlignedLayerKeepsItsGate(string architecture, int channels, int size, int alignment, bool silenceOneFilter)
    {
        var shape = new ImageShape(channels, size, size);
        float[] pixels = global::Decoupling.Examples.Shared.RandomPixels.Uniform(Count * shape.Size, 3);
        using var gated = NetworkArchitecture.Parse(architecture).Build(shape, 10, seed: 7);
        InputDependentGates.Apply(gated, pixels, Count, seed: 8);
        if (silenceOneFilter)
        {
            // One filter of the last gated layer always closed: that layer is compact, the others keep every filter.
            using var noGrad = no_grad();
            var last = gated.Gates[^1];
            last.Excite.weight![0].zero_();
            last.Excite.bias![0] = -1f;
        }

        using var result = NetworkCompaction.Compact(gated, pixels, Count);
        Assert.IsTrue(result.Layers.Any(l => l.Kept == l.Filters && !l.GateDropped && l.Filters % alignment != 0),
            "Some layer keeps every filter and its gate at a width the alignment pads.");
        Assert.AreEqual(silenceOneFilter, result.Layers.Any(l => l.Kept < l.Filters || l.GateDropped), "Which layers are compact.");

        byte[] model = DecoupledNetworkOnnxExporter.Export(result.Network, new OnnxExportOptions { ChannelAlignment = alignment });
        using var session = new InferenceSession(model);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [Count, shape.Size]);
        using var outputs = session.Run(runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.Score, DecouplingColumnNames.Path]);
        int pathLength = result.Network.Description.PathLayout.PathLength;
        CollectionAssert.AreEqual(new long[] { Count, pathLength }, outputs[1].GetTensorTypeAndShape().Shape, "The Path output's shape.");
        int compared = TorchOnnxParity.Assert(result.Network, pixels, Count,
            outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray(), 1e-4f);
        Assert.IsGreaterThanOrEqualTo(Count * 0.9, compared, "Nearly every image takes the same path in both runtimes.");
    }
}
