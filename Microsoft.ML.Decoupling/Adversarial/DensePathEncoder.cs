using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// The "dense path" of a network without gates, a baseline for path-based detection: for the conv layers that the
/// decoupled network of the same architecture gates, each filter's GAP activation binarised at its median over clean
/// calibration images, so that every bit is on for half of the clean images (the most informative threshold without
/// labels). The paper compares with critical data routing paths (Wang et al., CVPR 2018), which need a per-image
/// optimisation; this is the cheap activation-based variant the issue asks for, and it has the decoupled path's length.
/// </summary>
public sealed class DensePathEncoder
{
    private readonly float[] _thresholds;

    private readonly string _architecture;
    private readonly ImageShape _input;

    private DensePathEncoder(string architecture, ImageShape input, IReadOnlyList<string> layers, IReadOnlyList<int> layerFilters, float[] thresholds)
    {
        _architecture = architecture;
        _input = input;
        Layers = layers;
        LayerFilters = layerFilters;
        _thresholds = thresholds;
    }

    /// <summary>The conv units whose filters make the path, in forward order.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>Bits per path.</summary>
    public int PathLength => _thresholds.Length;

    /// <summary>Filters of each of <see cref="Layers"/>: the path's layer segments.</summary>
    internal IReadOnlyList<int> LayerFilters { get; }

    /// <summary>Measures the per-filter thresholds of <paramref name="network"/> (without gates) on <paramref name="calibration"/>.</summary>
    /// <param name="network">A network built without gates.</param>
    /// <param name="calibration">Clean images (e.g. a sample of the training set).</param>
    /// <param name="warn">Receives a warning when the paths would be degenerate (half of the filters or more respond the
    /// same to every calibration image, so their bits carry nothing); null writes it to standard error.</param>
    public static DensePathEncoder Fit(DecoupledNetwork network, ImageDataset calibration, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(calibration);
        if (network.IsGated)
        {
            throw new ArgumentException("The network has gates: its calculation path is the path to use; a dense path is for networks without gates.", nameof(network));
        }

        if (calibration.Count < 2)
        {
            throw new ArgumentException($"Calibration needs at least 2 images; got {calibration.Count}.", nameof(calibration));
        }

        Training.DecouplingTrainer.RequireShape(network, calibration);
        // The layers the decoupled network of this architecture gates (built on the CPU only to read its layout).
        using var twin = NetworkArchitecture.Parse(network.Architecture).Build(network.Input, network.Classes, gated: true, seed: 0);
        var layers = twin.Description.PathLayout.Layers.Select(l => l.Name).ToArray();
        var layerFilters = twin.Description.PathLayout.Layers.Select(l => l.Filters).ToArray();
        var readout = NetworkReadout.Run(network, calibration.Pixels, calibration.Count, layers);
        int length = twin.Description.PathLayout.PathLength;
        var thresholds = new float[length];
        var column = new float[calibration.Count];
        for (int bit = 0; bit < length; bit++)
        {
            for (int i = 0; i < calibration.Count; i++)
            {
                column[i] = readout.Responses[((long)i * length) + bit];
            }

            Array.Sort(column);
            thresholds[bit] = column[column.Length / 2];
        }

        int constant = ConstantFeatures.Count(readout.Responses, calibration.Count, length);
        if (length > 0 && constant * 2 >= length)
        {
            ConstantFeatures.Warn(warn,
                $"DensePathEncoder: {constant} of the {length} filters respond the same to each of the {calibration.Count} calibration images (constant images?); their bits are off for every clean image and the dense paths are degenerate (few distinct paths). Calibrate on varied clean images.");
        }

        return new DensePathEncoder(network.Architecture, network.Input, layers, layerFilters, thresholds);
    }

    /// <summary>
    /// Throws unless <paramref name="network"/> has the architecture and input this encoder was fitted on (its layers and
    /// thresholds belong to that network); <paramref name="parameter"/> is named.
    /// </summary>
    internal void RequireFits(DecoupledNetwork network, string parameter)
    {
        if (network.IsGated || network.Architecture != _architecture || network.Input != _input)
        {
            throw new ArgumentException(
                $"DensePath was fitted on a network without gates, {_architecture} for {_input} images; this network is a {(network.IsGated ? "gated" : "dense")} {network.Architecture} for {network.Input} images. Fit the encoder on this network.",
                parameter);
        }
    }

    /// <summary>
    /// Dense paths of count×C·H·W <paramref name="pixels"/> (count×PathLength 0/1 values), their margins (response minus
    /// threshold: the dense counterpart of the gate logits), the responses and the readout behind them.
    /// </summary>
    internal (float[] Paths, float[] Margins, float[] Responses, NetworkReadout Readout) Encode(DecoupledNetwork network, float[] pixels, int count, int batchSize)
    {
        var readout = NetworkReadout.Run(network, pixels, count, Layers, batchSize);
        var paths = new float[readout.Responses.Length];
        var margins = new float[readout.Responses.Length];
        for (long i = 0; i < paths.Length; i++)
        {
            margins[i] = readout.Responses[i] - _thresholds[i % _thresholds.Length];
            paths[i] = margins[i] > 0 ? 1f : 0f;
        }

        return (paths, margins, readout.Responses, readout);
    }
}
