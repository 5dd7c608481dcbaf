using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Inference;

/// <summary>
/// Per-input skipping for batch-1 inference in TorchSharp: each gated layer computes only the filters its gate
/// opens for the image, reading only the input channels the previous layers left open, instead of computing every filter
/// and multiplying the closed ones by 0. Score and Path are those of the masked forward pass
/// (<see cref="NetworkInference.Run(DecoupledNetwork, float[], int, int)"/>) up to rounding: BatchNorm is folded into the
/// convs here. Works on gated and compact networks (a compact network skips what stays dynamic).
/// </summary>
/// <remarks>
/// The weights are folded once at construction; create one instance per network and reuse it. The network must not be
/// changed while an instance is in use. Images run one at a time (the open filters differ per image).
/// </remarks>
public sealed class SkippingInference : IDisposable
{
    /// <summary>
    /// The default of <see cref="MaskedAboveOpenRatio"/>: 1, every layer with an open filter skips. Measured (BENCHMARKS.md,
    /// "Inference speed": 4 networks, 1 and 2 threads, thresholds 0.5, 0.75 and 1): the masked fallback never paid — 1
    /// was fastest or within 1 % of the fastest in every row, 0.5 up to 9 % slower. Slicing the weights costs a copy per
    /// layer and image, so on another CPU or with much wider layers the break-even may lie lower; the benchmark's
    /// <c>--inference --skip-ratios</c> measures it.
    /// </summary>
    public const double DefaultMaskedAboveOpenRatio = 1;

    private readonly DecoupledNetwork _network;
    private readonly Dictionary<ConvolutionUnit, SkippingUnit> _units;
    private bool _disposed;

    /// <summary>Prepares skipping inference of <paramref name="network"/> (folds each conv's BatchNorm into its weights).</summary>
    /// <param name="network">A gated, compact or dense network; its parameters are read, nothing is changed.</param>
    /// <param name="maskedAboveOpenRatio">See <see cref="MaskedAboveOpenRatio"/>.</param>
    public SkippingInference(DecoupledNetwork network, double maskedAboveOpenRatio = DefaultMaskedAboveOpenRatio)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (double.IsNaN(maskedAboveOpenRatio) || maskedAboveOpenRatio < 0 || maskedAboveOpenRatio > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maskedAboveOpenRatio), maskedAboveOpenRatio, "The open ratio above which a layer runs masked must lie in [0, 1] (0: every layer masked, 1: every layer skips).");
        }

        _network = network;
        MaskedAboveOpenRatio = maskedAboveOpenRatio;
        using var noGrad = no_grad();
        _units = network.Program.Units.ToDictionary(u => u, u => new SkippingUnit(u));
    }

    /// <summary>
    /// A gated layer whose share of open filters for an image is above this runs as the masked forward pass does (every
    /// filter computed, then masked); at or below it only the open filters are computed. 0 masks every layer, 1 skips
    /// in every layer with at least one open filter (a layer with none open always runs masked).
    /// </summary>
    public double MaskedAboveOpenRatio { get; }

    /// <summary>Runs the images one at a time; returns softmax scores (count×K) and paths (count×PathLength), as <see cref="NetworkInference.Run(DecoupledNetwork, float[], int, int)"/>.</summary>
    /// <param name="pixels">count images of C·H·W values in [0, 1].</param>
    /// <param name="count">Number of images.</param>
    public (float[] Scores, float[] Paths) Run(float[] pixels, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PixelInput.Check(_network, pixels, count, nameof(pixels));
        int imageSize = _network.Input.Size;

        Native.ConvolutionSelfCheck.EnsureCorrectFor(_network.Device);
        int classes = _network.Classes;
        int pathLength = _network.Description.PathLayout.PathLength;
        var scores = new float[(long)count * classes];
        var paths = new float[(long)count * pathLength];
        using var noGrad = no_grad();
        for (int image = 0; image < count; image++)
        {
            using var scope = NewDisposeScope();
            var input = tensor(pixels.AsSpan(image * imageSize, imageSize).ToArray(), new long[] { 1, _network.Channels, _network.Height, _network.Width }, device: _network.Device);
            var (logits, path) = Forward(input);
            logits.softmax(1).cpu().data<float>().CopyTo(scores, image * classes);
            if (pathLength > 0)
            {
                cat(path.ToArray(), 1).cpu().data<float>().CopyTo(paths, image * pathLength);
            }
        }

        return (scores, paths);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        foreach (var unit in _units.Values)
        {
            unit.Dispose();
        }
    }

    private (Tensor Logits, List<Tensor> Path) Forward(Tensor image)
    {
        var x = _network.Normalization is { } normalization ? normalization.Apply(image) : image;
        var interpreter = new Interpreter(this);
        var output = interpreter.Run(SparseFeatureMap.Dense(x));
        return (_network.Program.Head.forward(output.Pooled()), interpreter.Path);
    }

    /// <summary>The program over sparse feature maps: each conv unit computes only what its gate opens.</summary>
    private sealed class Interpreter : StepInterpreter<SparseFeatureMap>
    {
        private readonly SkippingInference _owner;

        public Interpreter(SkippingInference owner)
            : base(owner._network.Program) => _owner = owner;

        /// <summary>The full-length path bits of each layer of the path layout, in path order.</summary>
        public List<Tensor> Path { get; } = [];

        public override SparseFeatureMap Convolution(ConvolutionStep step) => _owner._units[step.Unit].Forward(this[step.Input], _owner.MaskedAboveOpenRatio, Path);

        public override SparseFeatureMap MaxPool(MaxPoolStep step) =>
            this[step.Input].With(nn.functional.max_pool2d(this[step.Input].Values, step.KernelSize, step.Stride, step.Padding));

        public override SparseFeatureMap ResidualAdd(ResidualAddStep step) => SparseFeatureMap.AddRelu(this[step.Main], this[step.Shortcut]);

        public override SparseFeatureMap ZeroPadShortcut(ZeroPadShortcutStep step) => this[step.Input].ZeroPadShortcut(step.Stride, step.PadChannels);

        public override SparseFeatureMap Concat(ConcatStep step) => SparseFeatureMap.Concatenate(step.Inputs.Select(i => this[i]).ToList());
    }
}
