using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Modules;
using TorchSharp.Modules;
using static Microsoft.ML.Decoupling.Onnx.OnnxGraphWriter;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Writes a network's forward program into an ONNX graph, step by step (see <see cref="DecoupledNetworkOnnxExporter"/> for
/// the graph it makes). Each step's result is the name of its output value. Tensors read from the network belong to the
/// caller's dispose scope.
/// </summary>
internal sealed class OnnxProgramWriter : StepInterpreter<string>
{
    private readonly OnnxGraphWriter _graph;
    private readonly int _alignment;
    private readonly Dictionary<string, OnnxChannelLayout> _layouts = new(StringComparer.Ordinal);
    private int _pools;
    private int _adds;
    private int _shortcuts;
    private int _concats;

    /// <param name="program">The program.</param>
    /// <param name="graph">The graph to add to.</param>
    /// <param name="writeResponses">Whether to collect each gated layer's GAP(Y) before its gate (<see cref="Responses"/>).</param>
    /// <param name="alignment">
    /// Filter counts of compact convs (whose maps may hold zero channels, and those that scatter into a residual sum) are
    /// rounded up to a multiple of this with zero filters (<see cref="OnnxExportOptions.ChannelAlignment"/>); 1 leaves every
    /// conv as it is.
    /// </param>
    public OnnxProgramWriter(NetworkProgram program, OnnxGraphWriter graph, bool writeResponses, int alignment = 1)
        : base(program)
    {
        _graph = graph;
        _alignment = alignment;
        Responses = writeResponses ? [] : null;
    }

    /// <summary>Every gated layer's mask, assembled into the path output once the program is written.</summary>
    public OnnxPathAssembly Path { get; } = new();

    /// <summary>GAP(Y) before the gate of every gated layer, when asked for.</summary>
    public List<string>? Responses { get; }

    /// <summary>Where the channels of the value <paramref name="name"/>, a map of <paramref name="channels"/> channels, sit.</summary>
    public OnnxChannelLayout LayoutOf(string name, long channels) =>
        _layouts.TryGetValue(name, out var layout) ? layout : OnnxChannelLayout.Identity(channels);

    public override string Convolution(ConvolutionStep step)
    {
        string input = this[step.Input];
        var inputLayout = LayoutOf(input, Program.Maps[step.Input].Channels);
        var unit = step.Unit;
        if (unit.Scatter is not null)
        {
            // A conv feeding a residual sum computes its kept filters only (aligned with zero filters like any other), and
            // its scatter puts them back into the full-width map, which keeps every channel in place.
            long kept = unit.Convolution.weight!.shape[0];
            return WriteUnit(_graph, input, inputLayout, OnnxChannelLayout.Aligned(kept, _alignment).Physical, unit, Path, Responses);
        }

        long filters = Program.Maps[step.Output].Channels;
        bool align = _alignment > 1 && !Program.Maps[step.Output].KeepsEveryChannel && filters % _alignment != 0;
        var outputLayout = align ? OnnxChannelLayout.Aligned(filters, _alignment) : OnnxChannelLayout.Identity(filters);
        string output = WriteUnit(_graph, input, inputLayout, outputLayout.Physical, unit, Path, Responses);
        return WithLayout(output, outputLayout);
    }

    public override string MaxPool(MaxPoolStep step)
    {
        string input = this[step.Input];
        string output = _graph.Node("MaxPool", $"pool{_pools++}", [input],
            Ints("kernel_shape", step.KernelSize, step.KernelSize), Ints("strides", step.Stride, step.Stride), Ints("pads", step.Padding, step.Padding, step.Padding, step.Padding));
        return WithLayout(output, LayoutOf(input, Program.Maps[step.Input].Channels));
    }

    public override string ResidualAdd(ResidualAddStep step) =>
        _graph.Node("Relu", $"add{_adds}.relu", [_graph.Node("Add", $"add{_adds++}", [this[step.Main], this[step.Shortcut]])]);

    public override string ZeroPadShortcut(ZeroPadShortcutStep step) => WriteZeroPadShortcut(_graph, $"shortcut{_shortcuts++}", this[step.Input], step);

    public override string Concat(ConcatStep step)
    {
        string output = _graph.Node("Concat", $"concat{_concats++}", step.Inputs.Select(i => this[i]), Int("axis", 1));
        return WithLayout(output, OnnxChannelLayout.Concat(step.Inputs.Select(i => LayoutOf(this[i], Program.Maps[i].Channels))));
    }

    private string WithLayout(string name, OnnxChannelLayout layout)
    {
        if (!layout.IsIdentity)
        {
            _layouts[name] = layout;
        }

        return name;
    }

    /// <summary>
    /// A conv unit: gate (read from the input), conv with BatchNorm folded in, optional Relu, mask; for a compact unit its
    /// scatter. The gate's mask [N, F] goes to <paramref name="path"/>. The input's channels sit at
    /// <paramref name="inputLayout"/>; the output has <paramref name="physicalFilters"/> channels, the unit's filters first
    /// and zero channels after them (whose mask bits are 0 and left out of the path).
    /// </summary>
    private static string WriteUnit(OnnxGraphWriter graph, string input, OnnxChannelLayout inputLayout, long physicalFilters, ConvolutionUnit unit, OnnxPathAssembly path, List<string>? responses)
    {
        string layer = unit.Name;
        // The gate reads the layer INPUT (paper Eq. 3), so its nodes come before the conv's.
        string? mask = unit.Gate is { } gate ? WriteGate(graph, layer, input, inputLayout, physicalFilters, gate) : null;
        string x = WriteConvolution(graph, layer, input, inputLayout, physicalFilters, unit);
        if (unit.Relu)
        {
            x = graph.Node("Relu", $"{layer}.relu", [x]);
        }

        if (unit.PathBits is { } bits)
        {
            path.AddCompact(mask, physicalFilters, bits);
        }
        else if (mask is not null)
        {
            path.AddGated(mask, unit.Gate!.Filters, physicalFilters);
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

        return unit.Scatter is { } scatter ? WriteScatter(graph, layer, x, scatter, unit.Convolution.weight!.shape[0] < physicalFilters) : x;
    }

    /// <summary>
    /// A compact conv's kept channels put back among zero channels with one Gather. <see cref="ChannelScatter.Source"/> takes
    /// a removed channel from index <c>kept</c>: the first appended zero filter where the conv has them
    /// (<paramref name="hasZeroFilter"/>), otherwise a zero channel that a Pad appends first.
    /// </summary>
    private static string WriteScatter(OnnxGraphWriter graph, string layer, string x, ChannelScatter scatter, bool hasZeroFilter)
    {
        string padded = hasZeroFilter ? x : graph.Node("Pad", $"{layer}.scatter.pad", [x, graph.Int64s($"{layer}.scatter.pads", 0, 0, 0, 0, 0, 1, 0, 0)]);
        return graph.Node("Gather", $"{layer}.scatter", [padded, graph.Int64s($"{layer}.scatter.source", scatter.Source)], Int("axis", 1));
    }

    /// <summary>
    /// Conv with the BatchNorm folded in (<see cref="ConvolutionUnit.FoldBatchNorm"/>), its weights placed at the input's
    /// channel positions and zero filters appended up to <paramref name="physicalFilters"/>.
    /// </summary>
    private static string WriteConvolution(OnnxGraphWriter graph, string layer, string input, OnnxChannelLayout inputLayout, long physicalFilters, ConvolutionUnit unit)
    {
        var (weight, bias) = unit.FoldBatchNorm();
        long[] shape = weight.shape;
        long[] physical = [physicalFilters, inputLayout.Physical, shape[2], shape[3]];
        float[] weights = inputLayout.PlaceColumns(ToFloats(weight), shape[0], shape[2] * shape[3], physicalFilters);
        float[] biases = [.. ToFloats(bias), .. new float[physicalFilters - shape[0]]];
        return graph.Node(
            "Conv",
            $"{layer}.conv",
            [input, graph.Floats($"{layer}.weight", physical, weights), graph.Floats($"{layer}.bias", [physicalFilters], biases)],
            Ints("kernel_shape", shape[2], shape[3]),
            Ints("pads", unit.Padding, unit.Padding, unit.Padding, unit.Padding),
            Ints("strides", unit.Stride, unit.Stride));
    }

    /// <summary>Option-A shortcut: Slice with steps (subsampling) then Pad with zero channels.</summary>
    private static string WriteZeroPadShortcut(OnnxGraphWriter graph, string name, string input, ZeroPadShortcutStep step)
    {
        string sliced = graph.Node("Slice", $"{name}.subsample", [
            input,
            graph.Int64s($"{name}.starts", 0, 0),
            graph.Int64s($"{name}.ends", long.MaxValue, long.MaxValue),
            graph.Int64s($"{name}.axes", 2, 3),
            graph.Int64s($"{name}.steps", step.Stride, step.Stride)]);
        return graph.Node("Pad", $"{name}.pad", [sliced, graph.Int64s($"{name}.pads", 0, step.PadChannels, 0, 0, 0, step.PadChannels, 0, 0)]);
    }

    /// <summary>
    /// The architecture controlling module and the evaluation-time hash z = 1(g &gt; 0); returns z [N, filters]. The linear
    /// layers stay Gemms: as 1×1 Convs on [N, C, 1, 1] (no Flatten, no Unsqueeze) ONNX Runtime moved them to its blocked
    /// NCHWc layout and added reorders, slower than the reshapes they saved (BENCHMARKS.md, issue 18).
    /// </summary>
    private static string WriteGate(OnnxGraphWriter graph, string layer, string input, OnnxChannelLayout inputLayout, long physicalFilters, ArchitectureControllingModule gate)
    {
        string prefix = $"{layer}.gate";
        string pooled = graph.Node("GlobalAveragePool", $"{prefix}.pool", [input]);
        string squeezed = graph.Node("Flatten", $"{prefix}.flatten", [pooled], Int("axis", 1));
        string hidden = WriteLinear(graph, $"{prefix}.squeeze", squeezed, gate.Squeeze, inputLayout);
        string activated = graph.Node("Relu", $"{prefix}.relu", [hidden]);
        // Appended zero filters get a gate that is never open (zero weights, bias −1): their bits are 0.
        string logits = WriteLinear(graph, $"{prefix}.excite", activated, gate.Excite, null, physicalFilters, -1f);
        return graph.Node("HardSigmoid", $"{prefix}.z", [logits], Float("alpha", StepSlope), Float("beta", 0f));
    }

    /// <summary>
    /// The slope of the gate's step: z = HardSigmoid(g) = max(0, min(1, <see cref="StepSlope"/>·g)), one node that ONNX
    /// Runtime fuses into the excite Gemm (Greater(0) → Cast were two more nodes per gate; BENCHMARKS.md, issue 18). It is
    /// the paper's z = 1(g &gt; 0) for every float g but the positive subnormals below 2⁻¹²⁷ (g ≤ 2⁻¹²⁸), where it gives a value in
    /// (0, 1) instead of 1 — a deviation from the paper's step, documented in the README: float.MaxValue·g is at least 1
    /// for every g ≥ 2⁻¹²⁷, overflows to +∞ (then 1) for g ≥ 1, is 0 for g = 0 and ≤ 0 (then 0) for g &lt; 0.
    /// </summary>
    internal const float StepSlope = float.MaxValue;

    /// <summary>
    /// y = x·Wᵀ + b as a Gemm with the weight kept in PyTorch's [out, in] layout; the input's features sit at
    /// <paramref name="inputLayout"/> (null: as they are), and outputs up to <paramref name="outputs"/> (null: none added)
    /// have zero weights and the bias <paramref name="paddedBias"/>.
    /// </summary>
    public static string WriteLinear(OnnxGraphWriter graph, string name, string input, Linear linear, OnnxChannelLayout? inputLayout = null, long? outputs = null, float paddedBias = 0f)
    {
        var weight = linear.weight ?? throw new InvalidOperationException($"The network has no {name}.weight; expected every linear layer to hold its weight.");
        long rows = weight.shape[0];
        long physicalRows = outputs ?? rows;
        var layout = inputLayout ?? OnnxChannelLayout.Identity(weight.shape[1]);
        float[] weights = layout.PlaceColumns(ToFloats(weight), rows, 1, physicalRows);
        var inputs = new List<string> { input, graph.Floats($"{name}.weight", [physicalRows, layout.Physical], weights) };
        if (linear.bias is not null)
        {
            float[] bias = [.. ToFloats(linear.bias), .. Enumerable.Repeat(paddedBias, (int)(physicalRows - rows))];
            inputs.Add(graph.Floats($"{name}.bias", [physicalRows], bias));
        }

        return graph.Node("Gemm", $"{name}.gemm", inputs, Int("transB", 1));
    }

    /// <summary>The values of a parameter or buffer as floats; the copies belong to the caller's dispose scope.</summary>
    private static float[] ToFloats(Tensor tensor) => tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
}
