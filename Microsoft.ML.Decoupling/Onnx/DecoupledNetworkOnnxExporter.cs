using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Modules;
using Onnx;
using static Microsoft.ML.Decoupling.Onnx.OnnxGraphWriter;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Writes a <see cref="DecoupledNetwork"/> as a self-contained ONNX model (opset 13–17) that computes, for images
/// [N, C·H·W], the class probabilities (Score [N, K]) and the calculation path (Path [N, PathLength], 0/1 floats) exactly as
/// the network does in evaluation mode.
/// </summary>
/// <remarks>
/// Each BatchNorm is folded into its conv from the running statistics (<see cref="ConvolutionUnit.FoldBatchNorm"/>), so the graph holds Conv (→ Relu) per layer whatever the network's training/eval mode. The graph follows the
/// network's forward program step by step (convs, max-pools, residual Add → Relu, option-A shortcuts as Slice → Pad,
/// inception Concat), after an optional per-channel Sub → Div normalisation. A gated layer adds,
/// read from the conv's input: GlobalAveragePool → Flatten → Gemm → Relu → Gemm → HardSigmoid (a step at 0: <see cref="OnnxProgramWriter.StepSlope"/>), and the layer output
/// is multiplied by the resulting 0/1 mask. Closed filters are still computed: the model reproduces the paths, it does not
/// skip work. A compact network (<see cref="Compaction.NetworkCompaction"/>) exports the same way with its smaller convs;
/// its path is assembled once at the end (<see cref="OnnxPathAssembly"/>: the kept gates' masks and a (0, 1) constant pair
/// concatenated, then one Gather puts every bit in place), and a conv feeding a residual sum computes its kept filters only and
/// Gathers them back into place, reading removed channels from an appended zero filter (or from a zero channel that a Pad
/// appends when the conv has none). Initializers and values are named after the layers of <see cref="CalculationPathLayout"/> (<c>features.3.weight</c>,
/// <c>layer1.0.conv1.gate.squeeze.weight</c>, …), and the layer table is stored in <c>metadata_props</c>.
/// With the responses output, a network trained by the estimator also gets the PathDeviation output
/// (<see cref="OnnxPathDeviationWriter"/>).
/// </remarks>
internal static class DecoupledNetworkOnnxExporter
{
    /// <summary>The <c>producer_name</c> written into every model.</summary>
    public const string ProducerName = "Microsoft.ML.Decoupling";

    /// <summary><c>metadata_props</c> key of the layer table (<see cref="CalculationPathLayout"/>), written as JSON; <see cref="OnnxPathLayoutReader"/> reads it.</summary>
    public const string PathLayoutMetadataKey = "decoupling.path_layout";

    /// <summary><c>metadata_props</c> key of the input shape, written as <c>"C,H,W"</c>.</summary>
    public const string InputShapeMetadataKey = "decoupling.input_shape";

    /// <summary><c>metadata_props</c> key of the dense network's multiply-accumulates per image (<see cref="FlopsCounter.Dense(DecoupledNetwork)"/>).</summary>
    public const string DenseFlopsMetadataKey = "decoupling.dense_flops";

    /// <summary><c>metadata_props</c> key of the number of classes K.</summary>
    public const string ClassesMetadataKey = "decoupling.classes";

    /// <summary>Name of the symbolic batch dimension of the input and the outputs.</summary>
    public const string BatchDimension = "batch";

    /// <summary>Builds the ONNX model of <paramref name="network"/> and returns its serialized bytes.</summary>
    /// <param name="network">The network; its parameters and BatchNorm running statistics are read, nothing is changed.</param>
    /// <param name="options">Names, opset and the optional predicted-value output; null for the defaults.</param>
    /// <exception cref="ArgumentException">The options do not fit the network (see <see cref="OnnxExportOptions"/>).</exception>
    public static byte[] Export(DecoupledNetwork network, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new OnnxExportOptions();
        options.Validate(network.Classes);
        return BuildModel(network, options).ToByteArray();
    }

    /// <summary>
    /// Writes the ONNX model of <paramref name="network"/> to <paramref name="path"/>, replacing an existing file. The bytes
    /// go to a temporary file in the same folder that is then renamed, so a failure never leaves a partial model.
    /// </summary>
    /// <param name="network">The network to export.</param>
    /// <param name="path">The .onnx file to write; its folder must exist.</param>
    /// <param name="options">Names, opset and the optional predicted-value output; null for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a folder, or the options do not fit the network.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void Export(DecoupledNetwork network, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        string fullPath = IO.OutputFilePath.Resolve(path, nameof(path), IO.OutputFilePath.OnnxFile);

        // Build first: invalid options or an unreadable network must not touch the file system.
        byte[] bytes = Export(network, options);
        IO.AtomicFile.WriteAllBytes(fullPath, bytes);
    }

    private static ModelProto BuildModel(DecoupledNetwork network, OnnxExportOptions options)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var graph = new OnnxGraphWriter($"{nameof(DecoupledNetwork)} {network.Architecture}");
        var layout = network.Description.PathLayout;
        var program = network.Program;
        string batch = BatchDimension;

        // Per-row mode (for ML.NET's OnnxTransformer, which runs one row at a time): no batch dimension on the input
        // and outputs, so ML.NET types Score and Path as plain vectors of K and PathLength instead of [1, K].
        bool perRow = options.PerRow;
        int imageSize = network.Input.Size;
        string input = perRow
            ? graph.Input(options.InputName, DataType.Float, imageSize)
            : graph.Input(options.InputName, DataType.Float, batch, imageSize);
        string image = graph.Node("Reshape", "input.reshape", [input, graph.Int64s("input.shape", -1, network.Channels, network.Height, network.Width)]);
        if (network.Normalization is { } normalization)
        {
            long[] channelShape = [1, network.Channels, 1, 1];
            image = graph.Node("Sub", "input.centered", [image, graph.Floats("input.mean", channelShape, normalization.Mean.ToArray())]);
            image = graph.Node("Div", "input.normalized", [image, graph.Floats("input.std", channelShape, normalization.StandardDeviation.ToArray())]);
        }

        // The same program the network's forward pass interprets, step by step. GAP(Y) before the gate of every gated
        // layer goes to the responses output (not for compact networks, which do not compute the filters they removed).
        // A compact network's convs get zero filters up to options.ChannelAlignment (see OnnxChannelLayout).
        int alignment = network.IsCompact ? options.ChannelAlignment : 1;
        var writer = new OnnxProgramWriter(program, graph, options.ResponsesName is not null && !network.IsCompact && network.IsGated, alignment);
        string x = writer.Run(image);
        var responses = writer.Responses;
        string pooled = graph.Node("GlobalAveragePool", "head.pool", [x]);
        string features = graph.Node("Flatten", "head.flatten", [pooled], Int("axis", 1));
        string logits = OnnxProgramWriter.WriteLinear(graph, "head", features, program.Head, writer.LayoutOf(x, program.Maps[program.Output].Channels));
        string score = graph.Node("Softmax", perRow ? $"{options.ScoreName}.batched" : options.ScoreName, [logits], Int("axis", 1));
        string path = !writer.Path.IsEmpty
            ? writer.Path.Write(graph, image, perRow ? $"{options.PathName}.batched" : options.PathName)
            : WriteEmptyPath(graph, input, perRow ? $"{options.PathName}.batched" : options.PathName);
        if (perRow)
        {
            string flat = graph.Int64s("output.flat_shape", -1);
            graph.Output(graph.Node("Reshape", options.ScoreName, [score, flat]), DataType.Float, network.Classes);
            graph.Output(graph.Node("Reshape", options.PathName, [path, flat]), DataType.Float, layout.PathLength);
        }
        else
        {
            graph.Output(score, DataType.Float, batch, network.Classes);
            graph.Output(path, DataType.Float, batch, layout.PathLength);
        }

        if (responses is { Count: > 0 })
        {
            string all = graph.Node("Concat", perRow ? $"{options.ResponsesName}.batched" : options.ResponsesName!, responses, Int("axis", 1));
            if (perRow)
            {
                graph.Output(graph.Node("Reshape", options.ResponsesName!, [all, graph.Int64s("output.flat_shape", -1)]), DataType.Float, layout.PathLength);
            }
            else
            {
                graph.Output(all, DataType.Float, batch, layout.PathLength);
            }

            if (options.PathDeviationName is { } deviationName && network.PathDeviation is { } deviation)
            {
                string distances = OnnxPathDeviationWriter.Write(graph, deviation, all, score, perRow ? $"{deviationName}.batched" : deviationName);
                if (perRow)
                {
                    graph.Output(graph.Node("Reshape", deviationName, [distances, graph.Int64s("output.flat_shape", -1)]), DataType.Float, deviation.Length);
                }
                else
                {
                    graph.Output(distances, DataType.Float, batch, deviation.Length);
                }
            }
        }

        if (options.PredictedValueName is not null && options.ClassValues is not null)
        {
            string best = graph.Node("ArgMax", "predicted.index", [score], Int("axis", 1), Int("keepdims", 0));
            var values = ClassValuesTensor("predicted.class_values", options.ClassValues);
            string predicted = graph.Node("Gather", options.PredictedValueName, [graph.Initializer(values), best], Int("axis", 0));
            graph.Output(predicted, (DataType)values.DataType, batch);
        }

        var model = new ModelProto
        {
            // IR 7 is what opsets 13–14 shipped with, IR 8 opsets 15–17: the oldest that runtimes of each opset accept.
            IrVersion = options.OpsetVersion >= 15 ? 8 : 7,
            ProducerName = ProducerName,
            ProducerVersion = typeof(DecoupledNetworkOnnxExporter).Assembly.GetName().Version?.ToString() ?? "0.0.0.0",
            DocString = $"Decoupled network {network.Architecture}, {(network.IsCompact ? "compact" : network.IsGated ? "gated" : "dense")}, input {network.Input}, "
                + $"{network.Classes} classes, path of {layout.PathLength} bits. BatchNorm is folded into the convs.",
            Graph = graph.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = options.OpsetVersion });
        AddMetadata(model, PathLayoutMetadataKey, layout.ToJson());
        AddMetadata(model, InputShapeMetadataKey, string.Create(CultureInfo.InvariantCulture, $"{network.Channels},{network.Height},{network.Width}"));
        AddMetadata(model, DenseFlopsMetadataKey, FlopsCounter.Dense(network.Description).ToString(CultureInfo.InvariantCulture));
        AddMetadata(model, ClassesMetadataKey, network.Classes.ToString(CultureInfo.InvariantCulture));
        return model;
    }

    /// <summary>A network without gates has an empty path: zeros of shape [N, 0].</summary>
    private static string WriteEmptyPath(OnnxGraphWriter graph, string input, string name)
    {
        string inputShape = graph.Node("Shape", "path.input_shape", [input]);
        string batch = graph.Node("Slice", "path.batch", [inputShape, graph.Int64s("path.slice_start", 0), graph.Int64s("path.slice_end", 1)]);
        string shape = graph.Node("Concat", "path.shape", [batch, graph.Int64s("path.width", 0)], Int("axis", 0));
        var zero = new TensorProto { DataType = (int)DataType.Float, Dims = { 1 } };
        zero.FloatData.Add(0f);
        return graph.Node("ConstantOfShape", name, [shape], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = zero });
    }

    private static TensorProto ClassValuesTensor(string name, Array values)
    {
        var tensor = new TensorProto { Name = name, Dims = { values.Length } };
        // Dispatch on the element type, not with `is int[]`: the runtime lets int[] and uint[] pass for each other.
        Type elementType = values.GetType().GetElementType()!;
        if (elementType == typeof(string))
        {
            tensor.DataType = (int)DataType.String;
            tensor.StringData.AddRange(((string[])values).Select(ByteString.CopyFromUtf8));
        }
        else if (elementType == typeof(float))
        {
            tensor.DataType = (int)DataType.Float;
            tensor.FloatData.AddRange((float[])values);
        }
        else if (elementType == typeof(double))
        {
            tensor.DataType = (int)DataType.Double;
            tensor.DoubleData.AddRange((double[])values);
        }
        else if (elementType == typeof(int))
        {
            tensor.DataType = (int)DataType.Int32;
            tensor.Int32Data.AddRange((int[])values);
        }
        else if (elementType == typeof(uint))
        {
            // ONNX stores uint32 values in uint64_data.
            tensor.DataType = (int)DataType.Uint32;
            tensor.Uint64Data.AddRange(((uint[])values).Select(v => (ulong)v));
        }
        else if (elementType == typeof(long))
        {
            tensor.DataType = (int)DataType.Int64;
            tensor.Int64Data.AddRange((long[])values);
        }
        else
        {
            throw new ArgumentException($"{nameof(OnnxExportOptions.ClassValues)} has elements of type {elementType.Name}; expected string, float, double, int, uint or long.", nameof(values));
        }

        return tensor;
    }

    private static void AddMetadata(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
}
