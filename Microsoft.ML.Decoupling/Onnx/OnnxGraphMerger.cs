using Onnx;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Appends a second ONNX graph (ML.NET's detector) to a first one (the network): the second graph's inputs are wired to
/// values of the first, every other name of the second graph gets a prefix, and only the nodes that compute the chosen
/// output are kept. The default-domain opset of the result is the higher of the two.
/// </summary>
internal static class OnnxGraphMerger
{
    /// <summary>
    /// Default-domain ops whose inputs, attributes or meaning changed in an opset after 9 (and up to 17), with the opsets
    /// where they changed (ONNX Changelog.md and the version converter's adapters). A node of the appended graph written for
    /// an older opset cannot run unchanged under the newer one; every other change up to opset 17 only added types or
    /// optional attributes with the old behaviour as default.
    /// </summary>
    private static readonly Dictionary<string, int[]> _breakingChanges = new(StringComparer.Ordinal)
    {
        ["Dropout"] = [10, 12],
        ["Slice"] = [10],
        ["TopK"] = [10],
        ["Upsample"] = [10],
        ["Resize"] = [11],
        ["Clip"] = [11],
        ["Pad"] = [11],
        ["Scatter"] = [11],
        ["Softmax"] = [13],
        ["LogSoftmax"] = [13],
        ["Hardmax"] = [13],
        ["ReduceSum"] = [13],
        ["Split"] = [13],
        ["Squeeze"] = [13],
        ["Unsqueeze"] = [13],
    };

    /// <summary>Returns a copy of <paramref name="first"/> that also computes <paramref name="secondOutput"/> of <paramref name="second"/>.</summary>
    /// <param name="first">The network model; its inputs, outputs and metadata are kept.</param>
    /// <param name="second">The appended model.</param>
    /// <param name="wiring">For each input of <paramref name="second"/> that the kept nodes read, the value of <paramref name="first"/> that feeds it.</param>
    /// <param name="secondOutput">The output of <paramref name="second"/> to keep.</param>
    /// <param name="mergedOutput">Its name in the result.</param>
    /// <param name="prefix">Prefix for the other names of <paramref name="second"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="mergedOutput"/> is already a name of the first graph.</exception>
    /// <exception cref="NotSupportedException">The second graph reads an unwired input, holds subgraphs, or uses an op whose form changed between the two opsets.</exception>
    public static ModelProto Append(ModelProto first, ModelProto second, IReadOnlyDictionary<string, string> wiring, string secondOutput, string mergedOutput, string prefix)
    {
        var merged = first.Clone();
        var graph = merged.Graph;
        var source = second.Graph;
        var firstNames = NamesOf(graph);
        if (firstNames.Contains(mergedOutput))
        {
            throw new ArgumentException(
                $"The adversarial-score output name '{mergedOutput}' is already used in the network's graph; choose another "
                + $"{nameof(DetectorOnnxExportOptions)}.{nameof(DetectorOnnxExportOptions.AdversarialScoreName)}.",
                "options");
        }

        int firstOpset = DefaultOpset(first);
        int secondOpset = DefaultOpset(second);
        var nodes = NodesComputing(source, secondOutput);
        CheckOpsetUpgrade(nodes, secondOpset, firstOpset);

        var initializers = source.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        string Rename(string name) =>
            name.Length == 0 ? name
            : name == secondOutput ? mergedOutput
            : wiring.TryGetValue(name, out string? wired) ? wired
            : prefix + name;

        var produced = new HashSet<string>(nodes.SelectMany(n => n.Output), StringComparer.Ordinal);
        var read = nodes.SelectMany(n => n.Input).Where(n => n.Length > 0 && !produced.Contains(n)).Distinct(StringComparer.Ordinal).ToList();
        foreach (string name in read)
        {
            if (initializers.TryGetValue(name, out var initializer))
            {
                var copy = initializer.Clone();
                copy.Name = Rename(name);
                Define(firstNames, copy.Name);
                graph.Initializer.Add(copy);
            }
            else if (!wiring.ContainsKey(name))
            {
                throw new NotSupportedException(
                    $"The detector's ONNX graph reads '{name}', which is neither one of its constants nor a network output it can be wired to "
                    + $"({string.Join(", ", wiring.Keys.Select(k => $"'{k}'"))}).");
            }
        }

        foreach (var node in nodes)
        {
            var copy = node.Clone();
            copy.Name = prefix + (node.Name.Length > 0 ? node.Name : node.Output[0]);
            copy.Input.Clear();
            copy.Input.AddRange(node.Input.Select(Rename));
            copy.Output.Clear();
            copy.Output.AddRange(node.Output.Select(Rename));
            foreach (string name in copy.Output.Where(o => o.Length > 0))
            {
                Define(firstNames, name);
            }

            graph.Node.Add(copy);
        }

        foreach (var info in source.ValueInfo.Where(v => produced.Contains(v.Name) && v.Name != secondOutput))
        {
            var copy = info.Clone();
            copy.Name = Rename(info.Name);
            graph.ValueInfo.Add(copy);
        }

        var output = source.Output.First(o => o.Name == secondOutput).Clone();
        output.Name = mergedOutput;
        graph.Output.Add(output);

        merged.IrVersion = Math.Max(first.IrVersion, second.IrVersion);
        MergeOpsetImports(merged, second, Math.Max(firstOpset, secondOpset));
        return merged;
    }

    /// <summary>The nodes needed for <paramref name="output"/>, in the graph's (topological) order.</summary>
    private static List<NodeProto> NodesComputing(GraphProto graph, string output)
    {
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
            {
                throw new NotSupportedException($"The detector's ONNX node '{node.Name}' ({node.OpType}) holds a subgraph; only flat graphs can be merged.");
            }

            foreach (string name in node.Output)
            {
                producer[name] = node;
            }
        }

        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>([output]);
        while (pending.Count > 0)
        {
            if (producer.TryGetValue(pending.Pop(), out var node) && needed.Add(node))
            {
                foreach (string input in node.Input)
                {
                    pending.Push(input);
                }
            }
        }

        return graph.Node.Where(needed.Contains).ToList();
    }

    private static void CheckOpsetUpgrade(IEnumerable<NodeProto> nodes, int from, int to)
    {
        foreach (var node in nodes.Where(n => IsDefaultDomain(n.Domain)))
        {
            if (_breakingChanges.TryGetValue(node.OpType, out int[]? versions) && versions.Any(v => v > from && v <= to))
            {
                throw new NotSupportedException(
                    $"The detector's ONNX graph uses {node.OpType} in the form of opset {from}, which changed before opset {to} (the network's); "
                    + "it cannot be merged unchanged. Use a detector without this operation.");
            }
        }
    }

    private static void MergeOpsetImports(ModelProto merged, ModelProto second, int defaultOpset)
    {
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var import in merged.OpsetImport.Concat(second.OpsetImport))
        {
            string domain = IsDefaultDomain(import.Domain) ? string.Empty : import.Domain;
            versions[domain] = Math.Max(versions.GetValueOrDefault(domain), import.Version);
        }

        versions[string.Empty] = defaultOpset;
        merged.OpsetImport.Clear();
        merged.OpsetImport.AddRange(versions.Select(v => new OperatorSetIdProto { Domain = v.Key, Version = v.Value }));
    }

    private static int DefaultOpset(ModelProto model) =>
        (int)(model.OpsetImport.FirstOrDefault(i => IsDefaultDomain(i.Domain))?.Version
            ?? throw new NotSupportedException("An ONNX model to merge imports no default (ai.onnx) opset."));

    private static bool IsDefaultDomain(string domain) => domain.Length == 0 || domain == "ai.onnx";

    private static HashSet<string> NamesOf(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        names.UnionWith(graph.Input.Select(i => i.Name));
        names.UnionWith(graph.Initializer.Select(i => i.Name));
        names.UnionWith(graph.Node.SelectMany(n => n.Output));
        return names;
    }

    private static void Define(HashSet<string> names, string name)
    {
        if (!names.Add(name))
        {
            throw new InvalidOperationException($"The ONNX value name '{name}' would be defined twice in the merged graph.");
        }
    }
}
