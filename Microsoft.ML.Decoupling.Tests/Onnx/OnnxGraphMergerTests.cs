using Microsoft.ML.Decoupling.Onnx;
using Onnx;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>The graph merge on hand-made graphs: wiring, prefixes, pruning and the opset guard.</summary>
[TestClass]
public sealed class OnnxGraphMergerTests
{
    private static readonly Dictionary<string, string> Wiring = new() { ["Path"] = "Path" };

    [TestMethod]
    public void Append_WiresInputsPrefixesNamesAndKeepsOnlyTheNeededNodes()
    {
        var detector = Model(12, Node("Mul", ["Path", "Two"], "Doubled"), Node("Neg", ["Path"], "Unused"), Node("Identity", ["Doubled"], "Out"));
        detector.Graph.Initializer.Add(new TensorProto { Name = "Two", DataType = (int)TensorProto.Types.DataType.Float, FloatData = { 2f } });

        var merged = OnnxGraphMerger.Append(Network(), detector, Wiring, "Out", "AdversarialScore", "detector/");

        var appended = merged.Graph.Node.Skip(1).ToList();
        CollectionAssert.AreEqual(new[] { "Mul", "Identity" }, appended.Select(n => n.OpType).ToArray(), "Neg feeds no kept output.");
        CollectionAssert.AreEqual(new[] { "Path", "detector/Two" }, appended[0].Input.ToArray());
        CollectionAssert.AreEqual(new[] { "detector/Doubled" }, appended[0].Output.ToArray());
        CollectionAssert.AreEqual(new[] { "AdversarialScore" }, appended[1].Output.ToArray());
        CollectionAssert.AreEqual(new[] { "detector/Two" }, merged.Graph.Initializer.Select(t => t.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "Path", "AdversarialScore" }, merged.Graph.Output.Select(o => o.Name).ToArray());
        Assert.AreEqual(17L, merged.OpsetImport.Single(i => i.Domain.Length == 0).Version);
    }

    [TestMethod]
    public void Append_OpWhoseFormChangedBeforeTheNetworksOpset_Throws()
    {
        var detector = Model(12, Node("Unsqueeze", ["Path"], "Out"));

        var error = Assert.ThrowsExactly<NotSupportedException>(
            () => OnnxGraphMerger.Append(Network(), detector, Wiring, "Out", "AdversarialScore", "detector/"));

        StringAssert.Contains(error.Message, "Unsqueeze in the form of opset 12");
    }

    [TestMethod]
    public void Append_UnwiredInput_Throws()
    {
        var detector = Model(12, Node("Add", ["Path", "Image"], "Out"));

        var error = Assert.ThrowsExactly<NotSupportedException>(
            () => OnnxGraphMerger.Append(Network(), detector, Wiring, "Out", "AdversarialScore", "detector/"));

        StringAssert.Contains(error.Message, "reads 'Image'");
    }

    /// <summary>A stand-in for the network: Image → Path (Identity), opset 17.</summary>
    private static ModelProto Network()
    {
        var model = Model(17, Node("Identity", ["Image"], "Path"));
        model.Graph.Input.Add(new ValueInfoProto { Name = "Image" });
        model.Graph.Output.Clear();
        model.Graph.Output.Add(new ValueInfoProto { Name = "Path" });
        return model;
    }

    private static ModelProto Model(int opset, params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Node.AddRange(nodes);
        graph.Output.Add(new ValueInfoProto { Name = nodes[^1].Output[0] });
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        return model;
    }

    private static NodeProto Node(string opType, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }
}
