using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;

namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>
/// A compact network (from <see cref="Transforms.DecoupledNetworkTransformer.Compact"/> or <see cref="DecoupledNetwork.Compact"/>) with what it saves and what it changes: FLOPs of the dense,
/// gated and compact forms, the layers it cut, and how many evaluation images would take another path.
/// </summary>
/// <remarks>
/// The compact network's Path output keeps the original length and layout, so path consumers (detectors, FLOPs counting,
/// filter-state analysis) keep working: a removed filter's bit is a constant 0 and a filter of a layer whose gate was
/// dropped a constant 1. Owns <see cref="Network"/>.
/// </remarks>
public sealed class CompactionResult : IDisposable
{
    private readonly CompactionPlan _plan;
    private readonly DecoupledNetwork _network;
    private Transforms.DecoupledNetworkTransformer? _model;
    private bool _disposed;

    internal CompactionResult(DecoupledNetwork network, CompactionPlan plan, (long Dense, double GatedPerPath, long CompactComputed, double CompactPerPath) flops, int calibrationImages, CompactionEvaluation? evaluation)
    {
        _network = network;
        _plan = plan;
        Flops = flops;
        CalibrationImages = calibrationImages;
        Evaluation = evaluation is null ? null : (evaluation.Images, evaluation.ChangedPaths, evaluation.PredictionAgreement, evaluation.MaxScoreDifference);
    }

    /// <summary>The compact network (evaluation mode, on the original network's device); inference only, it has no path classifiers.</summary>
    /// <exception cref="ObjectDisposedException">The result was disposed.</exception>
    public DecoupledNetwork Network
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _network;
        }
    }

    /// <summary>
    /// The compact network as an ML.NET transformer (same Score, PredictedLabel and Path columns as the model it came from,
    /// the compact ONNX graph inside; <c>mlContext.Model.Save</c> and <c>Load</c> as for that model), when the result came
    /// from <see cref="Transforms.DecoupledNetworkTransformer.Compact"/>; null from <see cref="DecoupledNetwork.Compact"/>.
    /// Owned by this result, like <see cref="Network"/>, which it runs: keep the result (<c>using var compact = …</c>) for as
    /// long as the model is used. Its <see cref="Transforms.DecoupledNetworkTransformer.DenseFlops"/> counts the compact
    /// network without gates, and its <see cref="Transforms.DecoupledNetworkTransformer.TrainingHistory"/> is the training of
    /// the model it came from.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The result was disposed.</exception>
    public Transforms.DecoupledNetworkTransformer? Model
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _model;
        }

        internal set => _model = value;
    }

    /// <summary>
    /// What compaction did to each gated layer, in path order: its name; its filters (its bits in the path); the filters the
    /// compact network computes (<c>Kept</c>); whether it lost its gate because every kept filter was open for every
    /// calibration image (<c>GateDropped</c>: its path bits are then constants, 1 for kept filters, 0 for removed ones); and
    /// whether every filter was silent over the calibration set (<c>AllSilent</c>: by rule the layer then keeps its first
    /// filter and its gate, so that no feature map becomes zero channels wide).
    /// </summary>
    public IReadOnlyList<(string Layer, int Filters, int Kept, bool GateDropped, bool AllSilent)> Layers => _plan.Report;

    /// <summary>
    /// Multiply-accumulates per image (as <see cref="DecoupledNetwork.FlopsForPath"/> counts them) of the network in its
    /// forms: the dense network (same layers, no gates); the gated network, mean over the calibration paths with closed
    /// filters skipped (the paper's figure); the compact network as it runs (every kept filter computed, plus its remaining
    /// gates: what a graph that multiplies closed filters by 0 does); and the compact network, mean over the calibration
    /// paths with closed filters skipped.
    /// </summary>
    public (long Dense, double GatedPerPath, long CompactComputed, double CompactPerPath) Flops { get; }

    /// <summary>Dense FLOPs over the compact network's computed FLOPs: the reduction a runtime gets without per-input skipping.</summary>
    public double CompactReduction => (double)Flops.Dense / Flops.CompactComputed;

    /// <summary>Dense FLOPs over the gated network's mean per-path FLOPs.</summary>
    public double GatedReduction => Flops.Dense / Flops.GatedPerPath;

    /// <summary>Number of calibration images the plan was made from (each of their paths is reproduced by construction).</summary>
    public int CalibrationImages { get; }

    /// <summary>
    /// How the compact network compares with the gated one on the evaluation images (e.g. a test set), or null when none were
    /// given: the number of evaluation images; how many of them take another path, because a removed ("silent") filter
    /// would have opened or a filter of a gate-dropped ("energetic") layer would have closed (<c>ChangedPaths</c>); the
    /// share of images for which both networks predict the same class; and the largest absolute score difference over the
    /// images whose path is reproduced.
    /// </summary>
    public (int Images, int ChangedPaths, double PredictionAgreement, double MaxScoreDifference)? Evaluation { get; }

    /// <summary>
    /// Whether the compact network reproduces an image whose gated path is <paramref name="gatedPath"/>: true unless the path
    /// opens a removed filter or closes a filter of a gate-dropped layer. For such images Score and Path equal the gated
    /// network's (to rounding).
    /// </summary>
    public bool Reproduces(ReadOnlySpan<float> gatedPath)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _plan.Reproduces(gatedPath);
    }

    /// <summary>Writes the compact network as ONNX (same inputs, outputs, path layout metadata as the gated export).</summary>
    public void SaveOnnx(string path, OnnxExportOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        DecoupledNetworkOnnxExporter.Export(_network, path, options);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        if (_model is not null)
        {
            _model.Dispose(); // disposes the network too
        }
        else
        {
            _network.Dispose();
        }
    }
}
