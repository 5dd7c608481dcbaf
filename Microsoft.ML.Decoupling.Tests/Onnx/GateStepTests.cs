using Google.Protobuf;
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
    /// <summary>Logits at the edges: zeros of both signs, the smallest normal floats, the largest floats.</summary>
    private static readonly float[] Logits =
    [
        0f, -0f, float.Epsilon * (1 << 23), -float.Epsilon * (1 << 23), 1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.5f, -0.5f,
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
