using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Transforms;
using Onnx;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Turns a fitted ML.NET detector into an ONNX graph with <c>mlContext.Model.ConvertToOnnx</c>, from a root view that holds
/// only the network's columns the detector reads: ConvertToOnnx exports everything between its input view and the
/// detector's outputs, and the network's own stage upstream (ONNX Runtime inside ML.NET) cannot be converted.
/// </summary>
internal static class DetectorOnnxConversion
{
    /// <summary>
    /// The network's output columns that <paramref name="detectorInput"/> holds, in the order Path, Score, Responses, PathDeviation, each checked to be
    /// the known-size float vector the network writes.
    /// </summary>
    /// <exception cref="ArgumentException">A column has another type or size, or neither column is there.</exception>
    public static IReadOnlyList<NetworkColumn> NetworkColumnsOf(DecoupledNetworkTransformer network, IDataView detectorInput)
    {
        NetworkColumn[] candidates =
        [
            new(network.Columns.Path, network.PathLayout.PathLength, "calculation path"),
            new(network.Columns.Score, network.Network.Classes, "class probabilities"),
            .. network.Columns.Responses is { } responses ? [new NetworkColumn(responses, network.PathLayout.PathLength, "gated filters' responses")] : Array.Empty<NetworkColumn>(),
            .. network.Columns.PathDeviation is { } deviation && network.Network.PathDeviation is { } statistics
                ? [new NetworkColumn(deviation, statistics.Length, "path deviation")] : Array.Empty<NetworkColumn>(),
        ];
        var found = new List<NetworkColumn>();
        foreach (var candidate in candidates)
        {
            if (detectorInput.Schema.GetColumnOrNull(candidate.Name) is not { } column)
            {
                continue;
            }

            if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType number } vector
                || number.RawType != typeof(float) || vector.Size != candidate.Size)
            {
                throw new ArgumentException(
                    $"Column '{candidate.Name}' of the detector's input is {column.Type}; expected the network's {candidate.Description}, "
                    + $"a vector of {candidate.Size} floats.",
                    nameof(detectorInput));
            }

            found.Add(candidate);
        }

        if (found.Count == 0)
        {
            throw new ArgumentException(
                $"The detector's input has none of the network's '{network.Columns.Path}' column (vector of {network.PathLayout.PathLength} floats), "
                + $"'{network.Columns.Score}' column (vector of {network.Network.Classes} floats) or '{network.Columns.Responses ?? DecouplingColumnNames.Responses}' column; expected the view the detector was fitted on.",
                nameof(detectorInput));
        }

        return found;
    }

    /// <summary>An empty view whose only columns are <paramref name="columns"/>: the root ConvertToOnnx starts from.</summary>
    public static IDataView RootView(MLContext mlContext, IReadOnlyList<NetworkColumn> columns)
    {
        var definition = SchemaDefinition.Create(typeof(NetworkOutputRow), SchemaDefinition.Direction.Read);
        // One member per network column a detector can read (Path, Score, Responses, PathDeviation); the view had three,
        // so a detector on all four lost PathDeviation.
        string[] members = [nameof(NetworkOutputRow.First), nameof(NetworkOutputRow.Second), nameof(NetworkOutputRow.Third), nameof(NetworkOutputRow.Fourth)];
        if (columns.Count > members.Length)
        {
            throw new ArgumentException($"At most {members.Length} network columns can feed a detector; got {columns.Count}.", nameof(columns));
        }

        for (int i = 0; i < members.Length; i++)
        {
            var column = definition[members[i]];
            if (i < columns.Count)
            {
                column.ColumnName = columns[i].Name;
                column.ColumnType = new VectorDataViewType(NumberDataViewType.Single, columns[i].Size);
            }
            else
            {
                definition.Remove(column);
            }
        }

        return mlContext.Data.LoadFromEnumerable(Array.Empty<NetworkOutputRow>(), definition);
    }

    /// <summary>
    /// The detector's output column that becomes the adversarial score: <paramref name="requested"/>, or by default
    /// Probability when the detector writes it, else Score. It must be a float scalar the detector writes.
    /// </summary>
    /// <exception cref="ArgumentException">The detector does not accept the root's columns, or has no such output.</exception>
    public static string ChooseScoreColumn(ITransformer detector, DataViewSchema rootSchema, string? requested)
    {
        DataViewSchema output;
        try
        {
            output = detector.GetOutputSchema(rootSchema);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException(
                $"The detector does not accept the network's columns {Describe(rootSchema)} alone: {e.Message} Expected a detector fitted on the "
                + "network's Path, Score, Responses and PathDeviation columns only, with no other input column.",
                nameof(detector),
                e);
        }

        string name = requested
            ?? (IsFloatScalar(output.GetColumnOrNull(DetectorOnnxExportOptions.ProbabilityColumnName))
                ? DetectorOnnxExportOptions.ProbabilityColumnName
                : DetectorOnnxExportOptions.ScoreColumnName);
        if (!IsFloatScalar(output.GetColumnOrNull(name)))
        {
            string outputs = string.Join(", ", output.Where(c => !c.IsHidden && IsFloatScalar(c)).Select(c => $"'{c.Name}'"));
            throw new ArgumentException(
                $"The detector writes no float column '{name}' to use as the adversarial score; its float outputs are: "
                + $"{(outputs.Length == 0 ? "none" : outputs)}. Set {nameof(DetectorOnnxExportOptions)}.{nameof(DetectorOnnxExportOptions.DetectorScoreColumnName)} to one of them.",
                requested is null ? nameof(detector) : "options");
        }

        return name;
    }

    /// <summary>Runs ConvertToOnnx; a stage that cannot be converted is named in the error.</summary>
    /// <exception cref="ArgumentException">ConvertToOnnx failed, or its graph lacks the score output.</exception>
    public static ModelProto Convert(MLContext mlContext, ITransformer detector, IDataView root, string scoreColumn)
    {
        using var stream = new MemoryStream();
        try
        {
            mlContext.Model.ConvertToOnnx(detector, root, stream, scoreColumn);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException(
                $"ML.NET could not convert the detector to ONNX{DescribeFailingStage(mlContext, detector, root)}: {e.Message}", nameof(detector), e);
        }

        var model = ModelProto.Parser.ParseFrom(stream.ToArray());
        if (OutputNameOf(model.Graph, scoreColumn) is null)
        {
            throw new ArgumentException(
                $"The detector's ONNX graph has no output for its '{scoreColumn}' column{DescribeFailingStage(mlContext, detector, root)}; "
                + $"its outputs are {string.Join(", ", model.Graph.Output.Select(o => $"'{o.Name}'"))}.",
                nameof(detector));
        }

        return model;
    }

    /// <summary>The graph output that carries <paramref name="column"/>: ML.NET names it "column.output".</summary>
    public static string? OutputNameOf(GraphProto graph, string column) =>
        graph.Output.Select(o => o.Name).FirstOrDefault(n => n == $"{column}.output")
        ?? graph.Output.Select(o => o.Name).FirstOrDefault(n => n == column);

    private static bool IsFloatScalar(DataViewSchema.Column? column) =>
        column is { Type: NumberDataViewType { RawType: var type } } && type == typeof(float);

    private static string Describe(DataViewSchema schema) =>
        string.Join(" and ", schema.Select(c => $"'{c.Name}' ({c.Type})"));

    /// <summary>
    /// " (stage #1 CustomMappingTransformer`2 has no ONNX export)": the first stage at which ConvertToOnnx fails, found by
    /// converting ever longer prefixes of the chain (ML.NET's own check is internal). Empty when no single stage is to blame.
    /// </summary>
    private static string DescribeFailingStage(MLContext mlContext, ITransformer detector, IDataView root)
    {
        var stages = Stages(detector).ToArray();
        for (int count = 1; count <= stages.Length; count++)
        {
            try
            {
                using var sink = new MemoryStream();
                mlContext.Model.ConvertToOnnx(new TransformerChain<ITransformer>(stages[..count]), root, sink);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return $" (stage #{count - 1} {DescribeType(stages[count - 1].GetType())} has no ONNX export)";
            }
        }

        return string.Empty;
    }

    /// <summary>The detector's stages, as "ColumnConcatenatingTransformer → BinaryPredictionTransformer&lt;…&gt;".</summary>
    public static string DescribeStages(ITransformer detector) => string.Join(" → ", Stages(detector).Select(s => DescribeType(s.GetType())));

    /// <summary>A type name with its generic arguments, without the arity suffix ("CustomMappingTransformer&lt;A, B&gt;").</summary>
    private static string DescribeType(Type type) =>
        type.IsGenericType
            ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(DescribeType))}>"
            : type.Name;

    private static IEnumerable<ITransformer> Stages(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Stages) : [transformer];

    /// <summary>A network output column the detector may read.</summary>
    internal sealed record NetworkColumn(string Name, int Size, string Description);

    /// <summary>The row type of the root view; its members are renamed and sized by a schema definition.</summary>
    private sealed class NetworkOutputRow
    {
        public float[] First { get; set; } = [];

        public float[] Second { get; set; } = [];

        public float[] Third { get; set; } = [];

        public float[] Fourth { get; set; } = [];
    }
}
