using Google.Protobuf;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static Microsoft.ML.Decoupling.Onnx.OnnxGraphWriter;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// The exported gate's step, HardSigmoid with slope <see cref="OnnxProgramWriter.StepSlope"/> after the excite Gemm, is the
/// paper's z = 1(g &gt; 0) in ONNX Runtime, both as ORT fuses it into the Gemm and as a node of its own.
/// </summary>
[TestClass]
public sealed class GateStepTests
{
    /// <summary>Logits at the edges: zeros of both signs, the smallest normal floats, 2⁻¹²⁷ (the smallest g the step
    /// gets right), the largest floats.</summary>
    private static readonly float[] Logits =
    [
        0f, -0f, float.Epsilon * (1 << 23), -float.Epsilon * (1 << 23), float.Epsilon * (1 << 22), -float.Epsilon * (1 << 22),
        1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.5f, -0.5f,
        1f, -1f, 1e30f, -1e30f, float.MaxValue, float.MinValue,
    ];

    [TestMethod]
    [DataRow(GraphOptimizationLevel.ORT_ENABLE_ALL, DisplayName = "fused into the Gemm")]
    [DataRow(GraphOptimizationLevel.ORT_DISABLE_ALL, DisplayName = "a node of its own")]
    public void Step_IsOneExactlyWhereTheLogitIsPositive(GraphOptimizationLevel optimization)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = optimization };
        using var session = new InferenceSession(StepModel(Logits.Length), options);
        using var input = OrtValue.CreateTensorValueFromMemory(Logits, [1, Logits.Length]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["g"], [input], ["z"]);

        float[] z = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        CollectionAssert.AreEqual(Logits.Select(g => g > 0 ? 1f : 0f).ToArray(), z, string.Join(", ", Logits.Zip(z, (g, b) => $"{g:R}→{b:R}")));
    }

    [TestMethod]
    public void Step_BelowTwoToTheMinus127_IsTheDocumentedDeviation()
    {
        float g = float.Epsilon * (1 << 21); // 2⁻¹²⁸, a subnormal
        using var session = new InferenceSession(StepModel(1));
        using var input = OrtValue.CreateTensorValueFromMemory(new[] { g }, [1, 1]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["g"], [input], ["z"]);

        float z = outputs[0].GetTensorDataAsSpan<float>()[0];

        Assert.IsTrue(z is > 0.99f and < 1f, $"2⁻¹²⁸ → {z:R}: between 0 and 1, as README 'Deviations' says.");
    }

    [TestMethod]
    public void Export_GatedNetwork_WritesOneStepPerGateAndNoThreshold()
    {
        using var network = NetworkArchitecture.Parse("vgg:8,16,M,16,32").Build(new ImageShape(1, 16, 16), 10, seed: 1);

        var nodes = ModelProto.Parser.ParseFrom(DecoupledNetworkOnnxExporter.Export(network)).Graph.Node;

        var steps = nodes.Where(n => n.OpType == "HardSigmoid").ToList();
        Assert.HasCount(network.PathLayout.Layers.Count, steps);
        foreach (var step in steps)
        {
            Assert.AreEqual(OnnxProgramWriter.StepSlope, step.Attribute.Single(a => a.Name == "alpha").F);
            Assert.AreEqual(0f, step.Attribute.Single(a => a.Name == "beta").F);
            Assert.AreEqual("Gemm", nodes.Single(n => n.Output.Contains(step.Input[0])).OpType, "The step reads the excite Gemm, which ONNX Runtime fuses it into.");
        }

        Assert.IsFalse(nodes.Any(n => n.OpType is "Greater" or "Cast"), "No threshold nodes are left.");
    }

    /// <summary>z = step(g·I + 0): the Gemm as in the exported gate (transB, a bias), with identity weights.</summary>
    private static byte[] StepModel(int width)
    {
        var graph = new OnnxGraphWriter("step");
        string g = graph.Input("g", DataType.Float, 1, width);
        float[] identity = new float[width * width];
        for (int i = 0; i < width; i++)
        {
            identity[(i * width) + i] = 1f;
        }

        string logits = graph.Node("Gemm", "logits", [g, graph.Floats("w", [width, width], identity), graph.Floats("b", [width], new float[width])], Int("transB", 1));
        graph.Node("HardSigmoid", "z", [logits], Float("alpha", OnnxProgramWriter.StepSlope), Float("beta", 0f));
        graph.Output("z", DataType.Float, 1, width);
        var model = new ModelProto { IrVersion = 8, Graph = graph.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }
}
