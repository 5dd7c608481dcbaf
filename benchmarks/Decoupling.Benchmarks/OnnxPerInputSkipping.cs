using Google.Protobuf;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static Microsoft.ML.Decoupling.Onnx.OnnxGraphWriter;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Decoupling.Benchmarks;

/// <summary>
/// Issue 18, item 3: per-input skipping inside ONNX Runtime, at batch 1. Each gated layer computes only the filters its
/// gate opens for this image, and the next layer reads only those channels: the open filters' indices come from
/// NonZero(z), and each conv's folded weights are Gathered to them per run (rows: the layer's open filters; columns: the
/// open channels of its input), as are the biases, the next gate's squeeze weights and the head's columns. A benchmark
/// variant, not a product graph: weights gathered per run cannot be prepacked into ONNX Runtime's NCHWc layout (the
/// question this variant measures is whether skipping pays for that), the batch is fixed at 1 (another image takes
/// another path), and only networks of convs and max-pools (the VGGs, the Quickstart's network) are written — residual
/// sums would need their channels scattered back.
/// <para>
/// Every gated layer also computes one zero channel (a filter of zero weights and bias, always among the gathered ones,
/// read with zero weights by the next layer): an image whose gate closes every filter of a layer would otherwise give the
/// next conv zero input channels, and ONNX Runtime 1.31.1 (CPU) does not return from such a conv (a 3×3 Conv over a
/// [1, 0, 6, 6] input spun until killed). The zero channel changes no score and no path bit; it costs one filter per
/// gated layer, one zero input column in each reader (the next conv and the next gate's squeeze) and a Concat per gated
/// layer (not timed apart).
/// </para>
/// Works for a gated network (every filter gated) and for a compact one (its kept filters gated; a dropped gate keeps
/// every kept filter open; the path's constant bits as in the product graph, <see cref="OnnxPathAssembly"/>).
/// </summary>
internal static class OnnxPerInputSkipping
{
    /// <summary>Whether <paramref name="network"/> has only the steps this graph is written for (convs and max-pools).</summary>
    public static bool Supports(DecoupledNetwork network) =>
        network.IsGated && network.Program.Steps.All(s => s is ConvolutionStep or MaxPoolStep);

    /// <summary>The model of <paramref name="network"/> with per-input skipping: input [1, C·H·W], outputs Score [1, K] and Path [1, PathLength].</summary>
    /// <exception cref="NotSupportedException">The network has residual sums, shortcuts or concatenations.</exception>
    public static byte[] Export(DecoupledNetwork network)
    {
        if (!Supports(network))
        {
            throw new NotSupportedException($"Per-input skipping in ONNX is written for gated networks of convs and max-pools only; {network.Architecture} has other steps.");
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var graph = new OnnxGraphWriter($"{nameof(DecoupledNetwork)} {network.Architecture} (per-input skipping)");
        string input = graph.Input(DecouplingColumnNames.Image, DataType.Float, 1, network.Input.Size);
        string image = graph.Node("Reshape", "input.reshape", [input, graph.Int64s("input.shape", 1, network.Channels, network.Height, network.Width)]);
        if (network.Normalization is { } normalization)
        {
            long[] channelShape = [1, network.Channels, 1, 1];
            image = graph.Node("Sub", "input.centered", [image, graph.Floats("input.mean", channelShape, normalization.Mean.ToArray())]);
            image = graph.Node("Div", "input.normalized", [image, graph.Floats("input.std", channelShape, normalization.StandardDeviation.ToArray())]);
        }

        var writer = new Writer(network.Program, graph);
        var x = writer.Run(new SparseMap(image, null));
        string pooled = graph.Node("Flatten", "head.flatten", [graph.Node("GlobalAveragePool", "head.pool", [x.Name])], Int("axis", 1));
        string logits = Linear(graph, "head", pooled, network.Program.Head, x.Open);
        string score = graph.Node("Softmax", DecouplingColumnNames.Score, [logits], Int("axis", 1));
        string path = writer.Path.Write(graph, image, DecouplingColumnNames.Path);
        graph.Output(score, DataType.Float, 1, network.Classes);
        graph.Output(path, DataType.Float, 1, network.PathLayout.PathLength);
        var model = new ModelProto { IrVersion = 8, ProducerName = "Decoupling.Benchmarks", Graph = graph.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return model.ToByteArray();
    }

    /// <summary>
    /// y = x·Wᵀ + b with W's columns Gathered to the open channels <paramref name="open"/> (null: all of them; otherwise W
    /// gets a zero column for the input's zero channel).
    /// </summary>
    private static string Linear(OnnxGraphWriter graph, string name, string x, TorchSharp.Modules.Linear linear, string? open)
    {
        var weight = linear.weight!;
        long rows = weight.shape[0], columns = weight.shape[1];
        string w = open is null
            ? graph.Floats($"{name}.weight", weight.shape, Floats(weight))
            : graph.Node("Gather", $"{name}.weight.open", [graph.Floats($"{name}.weight", [rows, columns + 1], Pad(Floats(weight), rows, columns, 1, rows, columns + 1)), open], Int("axis", 1));

        var inputs = new List<string> { x, w };
        if (linear.bias is { } bias)
        {
            inputs.Add(graph.Floats($"{name}.bias", bias.shape, Floats(bias)));
        }

        return graph.Node("Gemm", $"{name}.gemm", inputs, Int("transB", 1));
    }

    /// <summary>
    /// Runs <paramref name="count"/> images of <paramref name="pixels"/> one by one through the product graph
    /// <paramref name="reference"/> and the skipping graph <paramref name="skipping"/> with <paramref name="options"/>: the
    /// largest score difference and the number of images whose paths differ.
    /// </summary>
    public static (double MaxScoreDifference, int PathsDiffering) Compare(byte[] reference, byte[] skipping, SessionOptions options, float[] pixels, int count, int imageSize)
    {
        using var a = new InferenceSession(reference, options);
        using var b = new InferenceSession(skipping, options);
        using var run = new RunOptions();
        double worst = 0;
        int differing = 0;
        for (int i = 0; i < count; i++)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(pixels.AsSpan(i * imageSize, imageSize).ToArray(), [1, imageSize]);
            using var ra = a.Run(run, [DecouplingColumnNames.Image], [value], [DecouplingColumnNames.Score, DecouplingColumnNames.Path]);
            using var rb = b.Run(run, [DecouplingColumnNames.Image], [value], [DecouplingColumnNames.Score, DecouplingColumnNames.Path]);
            var sa = ra[0].GetTensorDataAsSpan<float>();
            var sb = rb[0].GetTensorDataAsSpan<float>();
            for (int k = 0; k < sa.Length; k++)
            {
                worst = Math.Max(worst, Math.Abs(sa[k] - sb[k]));
            }

            if (!ra[1].GetTensorDataAsSpan<float>().SequenceEqual(rb[1].GetTensorDataAsSpan<float>()))
            {
                differing++;
            }
        }

        return (worst, differing);
    }

    private static float[] Floats(Tensor tensor) => tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();

    /// <summary>A row-major [rows, columns, inner] array placed in a zero [paddedRows, paddedColumns, inner] one.</summary>
    private static float[] Pad(float[] values, long rows, long columns, long inner, long paddedRows, long paddedColumns)
    {
        var padded = new float[paddedRows * paddedColumns * inner];
        for (long r = 0; r < rows; r++)
        {
            Array.Copy(values, r * columns * inner, padded, r * paddedColumns * inner, columns * inner);
        }

        return padded;
    }

    /// <summary>A feature map holding only the channels listed in <see cref="Open"/> (an int64 [K] value; null: every channel).</summary>
    private sealed record SparseMap(string Name, string? Open);

    private sealed class Writer(NetworkProgram program, OnnxGraphWriter graph) : StepInterpreter<SparseMap>(program)
    {
        private int _pools;

        public OnnxPathAssembly Path { get; } = new();

        public override SparseMap Convolution(ConvolutionStep step)
        {
            var input = this[step.Input];
            var unit = step.Unit;
            string layer = unit.Name;
            string? open = null;
            if (unit.Gate is { } gate)
            {
                // The gate reads the layer input (paper Eq. 3): its pooled open channels against the squeeze weights' columns.
                string pooled = graph.Node("Flatten", $"{layer}.gate.flatten", [graph.Node("GlobalAveragePool", $"{layer}.gate.pool", [input.Name])], Int("axis", 1));
                string hidden = graph.Node("Relu", $"{layer}.gate.relu", [Linear(graph, $"{layer}.gate.squeeze", pooled, gate.Squeeze, input.Open)]);
                string logits = Linear(graph, $"{layer}.gate.excite", hidden, gate.Excite, null);
                string mask = graph.Node("HardSigmoid", $"{layer}.gate.z", [logits], Float("alpha", OnnxProgramWriter.StepSlope), Float("beta", 0f));
                if (unit.PathBits is { } bits)
                {
                    Path.AddCompact(mask, gate.Filters, bits);
                }
                else
                {
                    Path.AddGated(mask, gate.Filters, gate.Filters);
                }

                // The open filters and the zero channel (index F, always "open").
                string flat = graph.Node("Reshape", $"{layer}.gate.flat", [mask, graph.Int64s("flat_shape", -1)]);
                string withZeroChannel = graph.Node("Concat", $"{layer}.gate.with_zero_channel", [flat, graph.Floats("one", [1], [1f])], Int("axis", 0));
                open = graph.Node("Reshape", $"{layer}.open", [graph.Node("NonZero", $"{layer}.open.nonzero", [withZeroChannel]), graph.Int64s("flat_shape", -1)]);
            }
            else if (unit.PathBits is { } bits)
            {
                // A compact layer whose gate was dropped: its bits are constants.
                Path.AddCompact(null, 0, bits);
            }

            // Zero row for this layer's zero channel (gated), zero column for the input's (a sparse input).
            var (weight, bias) = unit.FoldBatchNorm();
            long filters = weight.shape[0], inputs = weight.shape[1], kernel = weight.shape[2] * weight.shape[3];
            long rows = filters + (open is null ? 0 : 1), columns = inputs + (input.Open is null ? 0 : 1);
            string w = graph.Floats($"{layer}.weight", [rows, columns, weight.shape[2], weight.shape[3]], Pad(Floats(weight), filters, inputs, kernel, rows, columns));
            string b = graph.Floats($"{layer}.bias", [rows], Pad(Floats(bias), filters, 1, 1, rows, 1));
            // Rows first: a Gather on axis 0 copies whole filters; the one on axis 1 then copies a kernel per kept row and
            // open input channel, over the open rows only.
            if (open is not null)
            {
                w = graph.Node("Gather", $"{layer}.weight.open", [w, open], Int("axis", 0));
                b = graph.Node("Gather", $"{layer}.bias.open", [b, open], Int("axis", 0));
            }

            if (input.Open is not null)
            {
                w = graph.Node("Gather", $"{layer}.weight.in", [w, input.Open], Int("axis", 1));
            }

            string x = graph.Node(
                "Conv",
                $"{layer}.conv",
                [input.Name, w, b],
                Ints("kernel_shape", weight.shape[2], weight.shape[3]),
                Ints("pads", unit.Padding, unit.Padding, unit.Padding, unit.Padding),
                Ints("strides", unit.Stride, unit.Stride));
            if (unit.Relu)
            {
                x = graph.Node("Relu", $"{layer}.relu", [x]);
            }

            return new SparseMap(x, open);
        }

        public override SparseMap MaxPool(MaxPoolStep step)
        {
            var input = this[step.Input];
            string output = graph.Node("MaxPool", $"pool{_pools++}", [input.Name],
                Ints("kernel_shape", step.KernelSize, step.KernelSize), Ints("strides", step.Stride, step.Stride), Ints("pads", step.Padding, step.Padding, step.Padding, step.Padding));
            return input with { Name = output };
        }

        public override SparseMap ResidualAdd(ResidualAddStep step) => throw new NotSupportedException("Residual sums are not written with per-input skipping.");

        public override SparseMap ZeroPadShortcut(ZeroPadShortcutStep step) => throw new NotSupportedException("Shortcuts are not written with per-input skipping.");

        public override SparseMap Concat(ConcatStep step) => throw new NotSupportedException("Concatenations are not written with per-input skipping.");
    }
}
