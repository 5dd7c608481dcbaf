using Google.Protobuf;
using Microsoft.ML.Decoupling;
using Onnx;

namespace Decoupling.Benchmarks;

/// <summary>
/// Issue 18's bound: the compact graph without its gates, i.e. the statically pruned network (every mask Mul removed,
/// only the Score output kept, the nodes that fed nothing else dropped). It computes what the compact graph's convs
/// compute; its speed-up over dense is what the compact graph could reach if gates, masks and path bits cost nothing.
/// A diagnostic, not a product graph: its scores differ from the compact network's wherever a mask closes a filter.
/// </summary>
internal static class StaticPruningBound
{
    public static byte[] FromCompact(byte[] compactModel)
    {
        var model = ModelProto.Parser.ParseFrom(compactModel);
        var graph = model.Graph;
        // The exporter names a gated layer's masked output "<layer>.out" (OnnxProgramWriter.WriteUnit).
        var masks = graph.Node.Where(n => n.OpType == "Mul" && n.Name.EndsWith(".out", StringComparison.Ordinal)).ToList();
        var unmasked = masks.ToDictionary(n => n.Output[0], n => n.Input[0]);
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (unmasked.TryGetValue(node.Input[i], out string? input))
                {
                    node.Input[i] = input;
                }
            }
        }

        var outputs = graph.Output.Where(o => o.Name == DecouplingColumnNames.Score).ToList();
        graph.Output.Clear();
        graph.Output.AddRange(outputs);
        var needed = outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var live = new List<NodeProto>();
        foreach (var node in graph.Node.Reverse().Where(n => !masks.Contains(n)))
        {
            if (node.Output.Any(needed.Contains))
            {
                live.Add(node);
                needed.UnionWith(node.Input);
            }
        }

        live.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(live);
        var initializers = graph.Initializer.Where(i => needed.Contains(i.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
        return model.ToByteArray();
    }
}
