using Microsoft.ML.Decoupling.Compaction;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// One conv of a network with its BatchNorm, optional ReLU and optional gate: the building block every architecture is
/// made of. Not a module itself: the conv, BatchNorm and gate are registered in the network's module tree under the
/// names a PyTorch implementation of the architecture uses (see <see cref="NetworkBuilder"/>).
/// </summary>
internal sealed class ConvolutionUnit
{
    public ConvolutionUnit(string name, Conv2d convolution, BatchNorm2d norm, ArchitectureControllingModule? gate, int gateIndex, bool relu, int stride, int padding)
    {
        Name = name;
        Convolution = convolution;
        Norm = norm;
        Gate = gate;
        GateIndex = gateIndex;
        Relu = relu;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>The conv's state-dict key without <c>.weight</c>; also the layer's name in the path layout and ONNX graph.</summary>
    public string Name { get; }

    public Conv2d Convolution { get; }

    public BatchNorm2d Norm { get; }

    public ArchitectureControllingModule? Gate { get; }

    /// <summary>Index of the gate in the path layout, -1 for an ungated conv.</summary>
    public int GateIndex { get; }

    /// <summary>Whether ReLU follows the BatchNorm (false for the second conv of a residual block and for projection shortcuts).</summary>
    public bool Relu { get; }

    public int Stride { get; }

    public int Padding { get; }

    /// <summary>
    /// Set on the units of a compact network (see <see cref="Compaction.NetworkCompaction"/>) whose layer had filters
    /// removed or its gate dropped: how the unit's gate values become the layer's full-length path bits. Null otherwise.
    /// </summary>
    public CompactPathBits? PathBits { get; init; }

    /// <summary>
    /// Set on a compact unit whose output must keep every channel (it feeds a residual sum): where each channel of the
    /// full output comes from. Null otherwise.
    /// </summary>
    public ChannelScatter? Scatter { get; init; }

    /// <summary>
    /// The conv with its BatchNorm folded in, for inference: w' = w·γ/√(σ²+ε), b' = β + (b − μ)·γ/√(σ²+ε) from the running
    /// statistics, computed in double precision and returned as contiguous float tensors [filters, inputs, k, k] and
    /// [filters] in the caller's dispose scope. The one fold that the ONNX exporter and per-input skipping both use. It
    /// makes no temporary TorchSharp scalar (ε is a tensor, the sums' alpha rooted: <see cref="Native.RootedScalars"/>), so
    /// it needs no no-GC section wherever it runs.
    /// </summary>
    public (Tensor Weight, Tensor Bias) FoldBatchNorm()
    {
        using var noGrad = no_grad();
        var weight = Read(Convolution.weight, ".weight").to_type(ScalarType.Float64);
        var epsilon = tensor(Norm.eps, ScalarType.Float64, device: weight.device);
        var scale = Read(Norm.weight, " BatchNorm weight").to_type(ScalarType.Float64) / Native.RootedScalars.Sum(Read(Norm.running_var, " BatchNorm running_var").to_type(ScalarType.Float64), epsilon).sqrt();
        var convBias = Convolution.bias is null ? zeros_like(scale) : Read(Convolution.bias, ".bias").to_type(ScalarType.Float64);
        var shift = Native.RootedScalars.Sum(Read(Norm.bias, " BatchNorm bias").to_type(ScalarType.Float64), (convBias - Read(Norm.running_mean, " BatchNorm running_mean").to_type(ScalarType.Float64)) * scale);
        var folded = (weight * scale.view(-1, 1, 1, 1)).to_type(ScalarType.Float32).contiguous();
        return (folded, shift.to_type(ScalarType.Float32).contiguous());
    }

    /// <summary>
    /// Y = [ReLU](BN(Conv(X))); for a gated unit, z from the gate reading X (paper Eq. 3), z and GAP(Y) are recorded and
    /// Y ⊙ z is returned. Tensors belong to the caller's dispose scope. <paramref name="pooledInput"/> is GAP(X) when the caller already has it, and <paramref name="pooledOutput"/>
    /// receives GAP(Y ⊙ z) = GAP(Y)·z of a gated unit (null otherwise), so that a gate reading this output need not pool
    /// the whole feature map again: the same values, one pass over the activations less forward and backward.
    /// <paramref name="gateNoise"/> draws the training-time gate noise (null: torch's process-wide generator).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? pooledInput, bool training, Generator? gateNoise, DecoupledForwardResult.Recorder record, out Tensor? pooledOutput)
    {
        pooledOutput = null;
        // The ACM reads the layer INPUT, before the conv runs.
        Tensor? logits = Gate is null ? null : pooledInput is null ? Gate.forward(x) : Gate.FromPooled(pooledInput);
        var y = Norm.forward(Convolution.forward(x));
        if (Relu)
        {
            // In place: BatchNorm's backward needs its input, not its output, and ReLU's backward reads its result.
            y = nn.functional.relu(y, inplace: true);
        }

        if (logits is null)
        {
            var unmasked = record.CaptureUnitResponses || PathBits is not null ? y.mean(new long[] { 2, 3 }) : null;
            if (record.CaptureUnitResponses)
            {
                record.UnitResponses.Add((Name, unmasked!));
            }

            if (PathBits is { } constant)
            {
                // A compact layer whose gate was dropped: its path bits are constants.
                record.Add(constant.ExpandLogits(null, y.shape[0]), constant.ExpandGates(null, y.shape[0]), constant.ExpandResponses(unmasked!));
            }

            return Scatter is null ? y : Scatter.Apply(y);
        }

        var z = training ? SemanticHashing.Train(logits, gateNoise) : SemanticHashing.Evaluate(logits);
        // y = GAP(Y) before masking: the filter's own response, which Lkl compares with its gate.
        var response = y.mean(new long[] { 2, 3 });
        if (record.CaptureUnitResponses)
        {
            record.UnitResponses.Add((Name, response));
        }

        record.Maps?.Add(y);
        if (PathBits is { } bits)
        {
            record.Add(bits.ExpandLogits(logits, y.shape[0]), bits.ExpandGates(z, y.shape[0]), bits.ExpandResponses(response));
        }
        else
        {
            record.Add(logits, z, response);
        }

        var masked = y * z.view(z.shape[0], z.shape[1], 1, 1);
        if (Scatter is not null)
        {
            // The next gate pools the scattered map itself.
            return Scatter.Apply(masked);
        }

        pooledOutput = response * z;
        return masked;
    }

    private Tensor Read(Tensor? tensor, string what) =>
        (tensor ?? throw new InvalidOperationException($"The network has no {Name}{what}; expected every conv and BatchNorm layer to hold its tensors.")).detach();
}
