using Microsoft.ML.Decoupling.Analysis;

using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// A CNN whose convs carry architecture controlling modules (paper §3): per input, each gate picks which filters of its
/// conv run, and the concatenated choices are the calculation path. Built dense (no gates) it is the baseline network
/// of the same architecture. Create one with a <see cref="NetworkArchitecture"/>.
/// </summary>
/// <remarks>
/// State-dict keys follow the usual PyTorch implementation of each architecture (<c>features.0.weight</c>,
/// <c>layer1.0.bn1.running_mean</c>, …); gates live under <c>gates.*</c> and the per-layer path classifiers under
/// <c>path_classifiers.*</c>, which dense checkpoints do not have.
/// </remarks>
public sealed class DecoupledNetwork : nn.Module<Tensor, DecoupledForwardResult>
{
    private readonly NetworkProgram _program;

    internal DecoupledNetwork(
        string architecture,
        ImageShape input,
        int classes,
        bool gated,
        InputNormalization? normalization,
        IReadOnlyList<(string Name, nn.Module Module)> children,
        NetworkProgram program,
        NetworkDescription description)
        : base(nameof(DecoupledNetwork))
    {
        if (normalization is not null && normalization.Channels != input.Channels)
        {
            throw new ArgumentException($"The normalisation has {normalization.Channels} channels; the input {input} has {input.Channels}.", nameof(normalization));
        }

        Architecture = architecture;
        Input = input;
        Classes = classes;
        IsGated = gated;
        Normalization = normalization;
        Description = description;
        _program = program;
        foreach (var (name, module) in children)
        {
            register_module(name, module);
        }
    }

    /// <summary>The architecture, as <see cref="NetworkArchitecture.ToString"/> writes it (e.g. <c>resnet20</c>).</summary>
    public string Architecture { get; }

    /// <summary>The input image shape.</summary>
    public ImageShape Input { get; }

    /// <summary>γ of the gates' squeeze layers (<see cref="NetworkArchitecture.Build"/>'s gateReduction), recorded in checkpoints.</summary>
    internal int GateReduction { get; init; } = Transforms.DecoupleNetworkDefaults.GateReduction;

    /// <summary>Whether the convs carry biases (a VGG built with convolutionBias), recorded in checkpoints.</summary>
    internal bool ConvolutionBias { get; init; }

    /// <summary>Input channels.</summary>
    public int Channels => Input.Channels;

    /// <summary>Input height.</summary>
    public int Height => Input.Height;

    /// <summary>Input width.</summary>
    public int Width => Input.Width;

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Whether the network carries gates.</summary>
    public bool IsGated { get; }

    /// <summary>
    /// Whether this is a compact network made by <see cref="Compaction.NetworkCompaction"/> (silent filters removed,
    /// always-open layers without gates): for inference only, it cannot be trained.
    /// </summary>
    public bool IsCompact { get; internal init; }

    /// <summary>
    /// Class statistics of clean paths that the ONNX export turns into the PathDeviation output
    /// (<see cref="DecouplingColumnNames.PathDeviation"/>); set by the estimator after training, null otherwise (and on a
    /// compact network, which does not compute the responses they are measured on).
    /// </summary>
    internal Adversarial.PathDeviation? PathDeviation { get; set; }

    /// <summary>The per-channel input normalisation applied first, or null.</summary>
    public InputNormalization? Normalization { get; }

    /// <summary>Geometry, gated layers and head: what FLOPs counting and the ONNX export need.</summary>
    internal NetworkDescription Description { get; }

    /// <summary>The gated layers in path order and where each one's bits lie in the calculation path.</summary>
    public CalculationPathLayout PathLayout => Description.PathLayout;

    /// <summary>
    /// Per-image FLOPs (multiply-accumulates of every conv and linear layer) of the dense network of this architecture
    /// (same layers, no gates). BatchNorm (foldable), ReLU, pooling, GAP and the training-only path classifiers are not counted.
    /// </summary>
    public long DenseFlops => FlopsCounter.Dense(Description);

    /// <summary>
    /// FLOPs of this network for one image whose calculation path is <paramref name="path"/> (0/1 values): a conv costs
    /// k²·(active inputs)·(active filters)·H·W, so a closed filter is not computed and its zero output channel is skipped by
    /// every conv that reads it (also through max-pools and inception concatenations; never through a residual sum, which
    /// is dense); each gate adds its two fully connected layers (C·C/γ + C/γ·N).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not have <see cref="CalculationPathLayout.PathLength"/> values, or a value that is neither 0 nor 1.</exception>
    public long FlopsForPath(ReadOnlySpan<float> path) => FlopsCounter.ForPath(Description, path);

    /// <summary>
    /// Writes the network as ONNX to <paramref name="path"/> (dynamic batch, layer table in metadata_props), replacing an
    /// existing file through a temporary file in the same folder, so a failure never leaves a partial model.
    /// </summary>
    /// <param name="path">The .onnx file to write; its folder must exist.</param>
    /// <param name="options">Names, opset and the optional predicted-value output; null for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a folder, or the options do not fit the network.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public void SaveOnnx(string path, Onnx.OnnxExportOptions? options = null) => Onnx.DecoupledNetworkOnnxExporter.Export(this, path, options);

    /// <summary>
    /// Removes what the gates never use (silent filters, gates that are always open), calibrated on the paths of
    /// <paramref name="calibrationCount"/> images (count×C·H·W values in [0, 1]); the ML.NET route is
    /// <see cref="Transforms.DecoupledNetworkTransformer.Compact"/>. The result owns the compact network.
    /// </summary>
    /// <param name="calibrationPixels">The calibration images (the training images, typically).</param>
    /// <param name="calibrationCount">Number of calibration images, at least 1.</param>
    /// <param name="evaluationPixels">Optional images (a test set) on which the compact network is compared with this one.</param>
    /// <param name="evaluationCount">Number of evaluation images (0 when <paramref name="evaluationPixels"/> is null).</param>
    /// <exception cref="ArgumentException">The network has no gates or is already compact, or the pixel counts do not match the image counts.</exception>
    public Compaction.CompactionResult Compact(float[] calibrationPixels, int calibrationCount, float[]? evaluationPixels = null, int evaluationCount = 0) =>
        Compaction.NetworkCompaction.Compact(this, calibrationPixels, calibrationCount, evaluationPixels, evaluationCount);

    internal NetworkProgram Program => _program;

    /// <summary>The device the network's parameters are on.</summary>
    public Device Device => _program.Head.weight!.device;

    /// <summary>The gates in path order.</summary>
    internal IReadOnlyList<ArchitectureControllingModule> Gates => _program.Units.Where(u => u.Gate is not null).Select(u => u.Gate!).ToList();

    /// <summary>Runs the network on [B, C·H·W] or [B, C, H, W] images in [0, 1].</summary>
    /// <remarks>In training mode the gates draw their noise from torch's process-wide generator.</remarks>
    public override DecoupledForwardResult forward(Tensor input) => Forward(input, null);

    /// <summary>
    /// <see cref="forward"/>, the training-time gate noise drawn from <paramref name="gateNoise"/> (null: torch's
    /// process-wide generator), so that a fit draws from a generator of its own.
    /// </summary>
    internal DecoupledForwardResult Forward(Tensor input, Generator? gateNoise) => Forward(input, gateNoise, new DecoupledForwardResult.Recorder());

    /// <summary>
    /// <see cref="Forward(Tensor, Generator?)"/>; when <paramref name="gatedMaps"/> is not null it receives, per gated layer
    /// in path order, the layer's activation maps before its gate masks them [B, N, h, w].
    /// </summary>
    internal DecoupledForwardResult Forward(Tensor input, Generator? gateNoise, List<Tensor>? gatedMaps) =>
        Forward(input, gateNoise, new DecoupledForwardResult.Recorder { Maps = gatedMaps });

    /// <summary><see cref="Forward(Tensor, Generator?)"/> into <paramref name="record"/>, which also receives the penultimate features.</summary>
    internal DecoupledForwardResult Forward(Tensor input, Generator? gateNoise, DecoupledForwardResult.Recorder record)
    {
        var x = input.dim() == 2 ? input.view(input.shape[0], Channels, Height, Width) : input;
        if (Normalization is not null)
        {
            x = Normalization.Apply(x);
        }

        var output = new TorchForwardInterpreter(_program, training, gateNoise, record).Run(x);
        record.Features = output.mean(new long[] { 2, 3 });
        return record.Result(_program.Head.forward(record.Features));
    }

    /// <summary>Applies the per-layer path classifiers W_cla^l to the gates (for Lmi).</summary>
    internal IReadOnlyList<Tensor> ClassifyPaths(IReadOnlyList<Tensor> gateValues) =>
        gateValues.Select((z, l) => _program.PathClassifiers[l].forward(z)).ToList();
}
