using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Modules;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Writes a <see cref="DecoupledNetwork"/> as a self-contained ONNX model (opset 13–17) that computes, for images
/// [N, C·H·W], the class probabilities (Score [N, K]) and the calculation path (Path [N, PathLength], 0/1 floats) exactly as
/// the network does in evaluation mode.
/// </summary>
/// <remarks>
/// Each BatchNorm is folded into its conv in double precision (w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε)) using the running
/// statistics, so the graph holds Conv (→ Relu) per layer whatever the network's training/eval mode. The graph follows the
/// network's forward program step by step (convs, max-pools, residual Add → Relu, option-A shortcuts as Slice → Pad,
/// inception Concat), after an optional per-channel Sub → Div normalisation. A gated layer adds,
/// read from the conv's input: GlobalAveragePool → Flatten → Gemm → Relu → Gemm → Greater(0) → Cast, and the layer output
/// is multiplied by the resulting 0/1 mask. Closed filters are still computed: the model reproduces the paths, it does not
/// skip work. A compact network (<see cref="Compaction.NetworkCompaction"/>) exports the same way with its smaller convs;
/// its layers' full-length path bits are the gate values placed by a 0/1 MatMul among constant bits (or, without a gate,
/// the constant bits Expanded to the batch), and a conv feeding a residual sum Pads one zero channel and Gathers its
/// kept channels back into place. Initializers and values are named after the layers of <see cref="CalculationPathLayout"/> (<c>features.3.weight</c>,
/// <c>layer1.0.conv1.gate.squeeze.weight</c>, …), and the layer table is stored in <c>metadata_props</c>.
/// </remarks>
public static class DecoupledNetworkOnnxExporter
{
    /// <summary>The <c>producer_name</c> written into every model.</summary>
    public const string ProducerName = "Microsoft.ML.Decoupling";

    /// <summary><c>metadata_props</c> key of the input shape, written as <c>"C,H,W"</c>.</summary>
    public const string InputShapeMetadataKey = "decoupling.input_shape";

    /// <summary><c>metadata_props</c> key of the dense network's multiply-accumulates per image (<see cref="FlopsCounter.Dense"/>).</summary>
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
        string fullPath = OnnxOutputPath.Resolve(path, nameof(path));

        // Build first: invalid options or an unreadable network must not touch the file system.
        byte[] bytes = Export(network, options);
        IO.AtomicFile.WriteAllBytes(fullPath, bytes);
    }

    private static ModelProto BuildModel(DecoupledNetwork network, OnnxExportOptions options)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var graph = new GraphWriter($"{nameof(DecoupledNetwork)} {network.Architecture}");
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

        // The same program the network's forward pass interprets, step by step.
        var maps = new string[program.FeatureMapCount];
        maps[0] = image;
        var gates = new List<string>();
        // GAP(Y) before the gate of every gated layer, for the responses output (not for compact networks, which do not
        // compute the filters they removed).
        var responses = options.ResponsesName is not null && !network.IsCompact && network.IsGated ? new List<string>() : null;
        int pool = 0, add = 0, shortcut = 0, concat = 0;
        foreach (var step in program.Steps)
        {
            maps[step.Output] = step switch
            {
                ConvolutionStep s => WriteUnit(graph, maps[s.Input], s.Unit, gates, image, responses),
                MaxPoolStep s => graph.Node("MaxPool", $"pool{pool++}", [maps[s.Input]],
                    Ints("kernel_shape", s.KernelSize, s.KernelSize), Ints("strides", s.Stride, s.Stride), Ints("pads", s.Padding, s.Padding, s.Padding, s.Padding)),
                ResidualAddStep s => graph.Node("Relu", $"add{add}.relu", [graph.Node("Add", $"add{add++}", [maps[s.Main], maps[s.Shortcut]])]),
                ZeroPadShortcutStep s => WriteZeroPadShortcut(graph, $"shortcut{shortcut++}", maps[s.Input], s),
                ConcatStep s => graph.Node("Concat", $"concat{concat++}", s.Inputs.Select(i => maps[i]), Int("axis", 1)),
                _ => throw new InvalidOperationException($"Unknown step {step}."),
            };
        }

        string x = maps[program.Output];
        string pooled = graph.Node("GlobalAveragePool", "head.pool", [x]);
        string features = graph.Node("Flatten", "head.flatten", [pooled], Int("axis", 1));
        string logits = WriteLinear(graph, "head", features, program.Head);
        string score = graph.Node("Softmax", perRow ? $"{options.ScoreName}.batched" : options.ScoreName, [logits], Int("axis", 1));
        string path = gates.Count > 0
            ? graph.Node("Concat", perRow ? $"{options.PathName}.batched" : options.PathName, gates, Int("axis", 1))
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
        AddMetadata(model, CalculationPathLayout.OnnxMetadataKey, layout.ToJson());
        AddMetadata(model, InputShapeMetadataKey, string.Create(CultureInfo.InvariantCulture, $"{network.Channels},{network.Height},{network.Width}"));
        AddMetadata(model, DenseFlopsMetadataKey, FlopsCounter.Dense(network.Description).ToString(CultureInfo.InvariantCulture));
        AddMetadata(model, ClassesMetadataKey, network.Classes.ToString(CultureInfo.InvariantCulture));
        return model;
    }

    /// <summary>
    /// A conv unit: gate (read from the input), conv with BatchNorm folded in, optional Relu, mask; for a compact unit also
    /// its full-length path bits (whose constants take their batch size from <paramref name="image"/>) and its scatter.
    /// </summary>
    private static string WriteUnit(GraphWriter graph, string input, ConvolutionUnit unit, List<string> gates, string image, List<string>? responses)
    {
        string layer = unit.Name;
        // The gate reads the layer INPUT (paper Eq. 3), so its nodes come before the conv's.
        string? mask = unit.Gate is { } gate ? WriteGate(graph, layer, input, gate) : null;
        string x = WriteConvolution(graph, layer, input, unit);
        if (unit.Relu)
        {
            x = graph.Node("Relu", $"{layer}.relu", [x]);
        }

        if (unit.PathBits is { } bits)
        {
            gates.Add(WriteCompactPathBits(graph, layer, mask, bits, image));
        }
        else if (mask is not null)
        {
            gates.Add(mask);
            if (responses is not null)
            {
                string pooled = graph.Node("GlobalAveragePool", $"{layer}.response.pool", [x]);
                responses.Add(graph.Node("Flatten", $"{layer}.response", [pooled], Int("axis", 1)));
            }
        }

        if (mask is not null)
        {
            string channelMask = graph.Node("Unsqueeze", $"{layer}.gate.mask", [mask, graph.Int64s("gate.mask_axes", 2, 3)]);
            x = graph.Node("Mul", $"{layer}.out", [x, channelMask]);
        }

        return unit.Scatter is { } scatter ? WriteScatter(graph, layer, x, scatter) : x;
    }

    /// <summary>
    /// The full-length path bits of a compact layer: z [N, kept] placed by a 0/1 matrix (exact: one product per bit), or,
    /// without a gate, the constant bits expanded to the batch.
    /// </summary>
    private static string WriteCompactPathBits(GraphWriter graph, string layer, string? mask, CompactPathBits bits, string image)
    {
        if (mask is not null)
        {
            var placement = new float[bits.Kept.Length * bits.Filters];
            for (int j = 0; j < bits.Kept.Length; j++)
            {
                placement[(j * bits.Filters) + bits.Kept[j]] = 1f;
            }

            string matrix = graph.Floats($"{layer}.path.placement", [bits.Kept.Length, bits.Filters], placement);
            return graph.Node("MatMul", $"{layer}.path", [mask, matrix]);
        }

        string constants = graph.Floats($"{layer}.path.constants", [1, bits.Filters], bits.Constants());
        string batch = graph.Node("Slice", $"{layer}.path.batch", [graph.Node("Shape", $"{layer}.path.image_shape", [image]), graph.Int64s("path.slice_start", 0), graph.Int64s("path.slice_end", 1)]);
        string shape = graph.Node("Concat", $"{layer}.path.shape", [batch, graph.Int64s($"{layer}.path.width", bits.Filters)], Int("axis", 0));
        return graph.Node("Expand", $"{layer}.path", [constants, shape]);
    }

    /// <summary>A compact conv's kept channels put back among zero channels: Pad one zero channel, then Gather.</summary>
    private static string WriteScatter(GraphWriter graph, string layer, string x, ChannelScatter scatter)
    {
        string padded = graph.Node("Pad", $"{layer}.scatter.pad", [x, graph.Int64s($"{layer}.scatter.pads", 0, 0, 0, 0, 0, 1, 0, 0)]);
        return graph.Node("Gather", $"{layer}.scatter", [padded, graph.Int64s($"{layer}.scatter.source", scatter.Source)], Int("axis", 1));
    }

    /// <summary>Conv with the BatchNorm folded in.</summary>
    private static string WriteConvolution(GraphWriter graph, string layer, string input, ConvolutionUnit unit)
    {
        var conv = unit.Convolution;
        var norm = unit.Norm;
        double[] weight = ToDoubles(conv.weight, $"{layer}.weight");
        double[] mean = ToDoubles(norm.running_mean, $"{layer} BatchNorm running_mean");
        double[] variance = ToDoubles(norm.running_var, $"{layer} BatchNorm running_var");
        double[] gamma = ToDoubles(norm.weight, $"{layer} BatchNorm weight");
        double[] beta = ToDoubles(norm.bias, $"{layer} BatchNorm bias");
        double[]? convBias = conv.bias is null ? null : ToDoubles(conv.bias, $"{layer}.bias");
        long[] shape = conv.weight!.shape;
        int filters = (int)shape[0];
        int perFilter = weight.Length / filters;

        var foldedWeight = new float[weight.Length];
        var foldedBias = new float[filters];
        for (int f = 0; f < filters; f++)
        {
            double scale = gamma[f] / Math.Sqrt(variance[f] + norm.eps);
            for (int i = f * perFilter; i < (f + 1) * perFilter; i++)
            {
                foldedWeight[i] = (float)(weight[i] * scale);
            }

            foldedBias[f] = (float)(beta[f] + (((convBias?[f] ?? 0.0) - mean[f]) * scale));
        }

        return graph.Node(
            "Conv",
            $"{layer}.conv",
            [input, graph.Floats($"{layer}.weight", shape, foldedWeight), graph.Floats($"{layer}.bias", [filters], foldedBias)],
            Ints("kernel_shape", shape[2], shape[3]),
            Ints("pads", unit.Padding, unit.Padding, unit.Padding, unit.Padding),
            Ints("strides", unit.Stride, unit.Stride));
    }

    /// <summary>Option-A shortcut: Slice with steps (subsampling) then Pad with zero channels.</summary>
    private static string WriteZeroPadShortcut(GraphWriter graph, string name, string input, ZeroPadShortcutStep step)
    {
        string sliced = graph.Node("Slice", $"{name}.subsample", [
            input,
            graph.Int64s($"{name}.starts", 0, 0),
            graph.Int64s($"{name}.ends", long.MaxValue, long.MaxValue),
            graph.Int64s($"{name}.axes", 2, 3),
            graph.Int64s($"{name}.steps", step.Stride, step.Stride)]);
        return graph.Node("Pad", $"{name}.pad", [sliced, graph.Int64s($"{name}.pads", 0, step.PadChannels, 0, 0, 0, step.PadChannels, 0, 0)]);
    }

    /// <summary>The architecture controlling module and the evaluation-time hash z = 1(g &gt; 0); returns z [N, filters].</summary>
    private static string WriteGate(GraphWriter graph, string layer, string input, ArchitectureControllingModule gate)
    {
        string prefix = $"{layer}.gate";
        string pooled = graph.Node("GlobalAveragePool", $"{prefix}.pool", [input]);
        string squeezed = graph.Node("Flatten", $"{prefix}.flatten", [pooled], Int("axis", 1));
        string hidden = WriteLinear(graph, $"{prefix}.squeeze", squeezed, gate.Squeeze);
        string activated = graph.Node("Relu", $"{prefix}.relu", [hidden]);
        string logits = WriteLinear(graph, $"{prefix}.excite", activated, gate.Excite);
        string open = graph.Node("Greater", $"{prefix}.open", [logits, graph.Floats("gate.threshold", [], [0f])]);
        return graph.Node("Cast", $"{prefix}.z", [open], Int("to", (int)DataType.Float));
    }

    /// <summary>y = x·Wᵀ + b as a Gemm with the weight kept in PyTorch's [out, in] layout.</summary>
    private static string WriteLinear(GraphWriter graph, string name, string input, Linear linear)
    {
        var inputs = new List<string> { input, graph.Floats($"{name}.weight", linear.weight!.shape, ToFloats(linear.weight, $"{name}.weight")) };
        if (linear.bias is not null)
        {
            inputs.Add(graph.Floats($"{name}.bias", linear.bias.shape, ToFloats(linear.bias, $"{name}.bias")));
        }

        return graph.Node("Gemm", $"{name}.gemm", inputs, Int("transB", 1));
    }

    /// <summary>A network without gates has an empty path: zeros of shape [N, 0].</summary>
    private static string WriteEmptyPath(GraphWriter graph, string input, string name)
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

    private static double[] ToDoubles(Tensor? tensor, string what) =>
        Read(tensor, what).to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    private static float[] ToFloats(Tensor? tensor, string what) =>
        Read(tensor, what).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();

    /// <summary>A detached CPU view of a parameter or buffer; the copies made from it belong to the caller's dispose scope.</summary>
    private static Tensor Read(Tensor? tensor, string what) =>
        (tensor ?? throw new InvalidOperationException($"The network has no {what}; expected every conv, BatchNorm and linear layer to hold its tensors."))
            .detach().cpu();

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static void AddMetadata(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

    /// <summary>Adds nodes, initializers, inputs and outputs to a graph, refusing to define a value name twice.</summary>
    private sealed class GraphWriter
    {
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public GraphWriter(string name) => Graph = new GraphProto { Name = name };

        public GraphProto Graph { get; }

        /// <summary>Adds a node whose only output is named <paramref name="output"/>; the node takes the same name.</summary>
        public string Node(string opType, string output, IEnumerable<string> inputs, params AttributeProto[] attributes)
        {
            Define(output);
            var node = new NodeProto { OpType = opType, Name = output };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            Graph.Node.Add(node);
            return output;
        }

        /// <summary>Adds a float initializer, or returns the name of the one already added under <paramref name="name"/>.</summary>
        public string Floats(string name, long[] dims, float[] values)
        {
            if (_names.Contains(name))
            {
                return name;
            }

            var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float };
            tensor.Dims.AddRange(dims);
            tensor.FloatData.AddRange(values);
            return Initializer(tensor);
        }

        /// <summary>Adds a one-dimensional int64 initializer (shapes, axes), or reuses the one of the same name.</summary>
        public string Int64s(string name, params long[] values)
        {
            if (_names.Contains(name))
            {
                return name;
            }

            var tensor = new TensorProto { Name = name, DataType = (int)DataType.Int64, Dims = { values.Length } };
            tensor.Int64Data.AddRange(values);
            return Initializer(tensor);
        }

        public string Initializer(TensorProto tensor)
        {
            Define(tensor.Name);
            Graph.Initializer.Add(tensor);
            return tensor.Name;
        }

        /// <summary>Declares a graph input; a string dimension is symbolic, an int one fixed.</summary>
        public string Input(string name, DataType type, params object[] dims)
        {
            Define(name);
            Graph.Input.Add(ValueInfo(name, type, dims));
            return name;
        }

        /// <summary>Declares an already defined value as a graph output.</summary>
        public void Output(string name, DataType type, params object[] dims) => Graph.Output.Add(ValueInfo(name, type, dims));

        private static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (object dim in dims)
            {
                shape.Dim.Add(dim is string symbol
                    ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                    : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, CultureInfo.InvariantCulture) });
            }

            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
            };
        }

        private void Define(string name)
        {
            if (!_names.Add(name))
            {
                // Only a user-chosen input or output name can collide with the graph's own names.
                throw new ArgumentException(
                    $"The ONNX value name '{name}' is used twice; choose {nameof(OnnxExportOptions)} input and output names that differ from "
                    + "the graph's own value names (such as 'features.3.relu', 'layer1.0.conv1.conv' or 'head.gemm').",
                    "options");
            }
        }
    }
}
