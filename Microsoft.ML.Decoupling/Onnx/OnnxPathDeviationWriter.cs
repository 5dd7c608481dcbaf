using Microsoft.ML.Decoupling.Adversarial;
using static Microsoft.ML.Decoupling.Onnx.OnnxGraphWriter;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Writes the PathDeviation output (<see cref="DecouplingColumnNames.PathDeviation"/>) into a network's graph: the
/// predicted class (ArgMax of the scores) picks its mean responses (Gather), and each gated layer's, then the whole
/// path's, squared Mahalanobis distance is Slice → MatMul(precision) → Mul → ReduceSum, concatenated [N, layers + 1].
/// The same arithmetic as <see cref="PathDeviation"/> in float32 instead of float64.
/// </summary>
internal static class OnnxPathDeviationWriter
{
    /// <summary>Adds the nodes and returns the [N, <see cref="PathDeviation.Length"/>] value named <paramref name="output"/>.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="deviation">The class statistics.</param>
    /// <param name="responses">The batched responses value [N, PathLength].</param>
    /// <param name="scores">The batched softmax scores [N, K].</param>
    /// <param name="output">Name of the result.</param>
    public static string Write(OnnxGraphWriter graph, PathDeviation deviation, string responses, string scores, string output)
    {
        string predicted = graph.Node("ArgMax", "path_deviation.class", [scores], Int("axis", 1), Int("keepdims", 0));
        string means = graph.Floats("path_deviation.means", [deviation.Classes, deviation.PathLength], [.. deviation.Means.Select(v => (float)v)]);
        string mean = graph.Node("Gather", "path_deviation.class_mean", [means, predicted], Int("axis", 0));
        string difference = graph.Node("Sub", "path_deviation.difference", [responses, mean]);
        string axis = graph.Int64s("path_deviation.axis", 1);
        var values = new List<string>(deviation.Length);
        for (int value = 0; value < deviation.Length; value++)
        {
            var (start, end) = deviation.Span(value);
            string name = value < deviation.Length - 1 ? $"path_deviation.layer{value}" : "path_deviation.whole";
            string part = value < deviation.Length - 1
                ? graph.Node("Slice", $"{name}.difference", [difference, graph.Int64s($"{name}.start", start), graph.Int64s($"{name}.end", end), axis])
                : difference;
            string precision = graph.Floats($"{name}.precision", [end - start, end - start], [.. deviation.Precision(value).Select(v => (float)v)]);
            string projected = graph.Node("MatMul", $"{name}.projected", [part, precision]);
            string products = graph.Node("Mul", $"{name}.products", [projected, part]);
            values.Add(graph.Node("ReduceSum", $"{name}.distance", [products, axis], Int("keepdims", 1)));
        }

        return graph.Node("Concat", output, values, Int("axis", 1));
    }
}
