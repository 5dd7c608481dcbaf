using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;

namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>
/// A compact network (see <see cref="NetworkCompaction"/>) with what it saves and what it changes: FLOPs of the dense,
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

    internal CompactionResult(DecoupledNetwork network, CompactionPlan plan, CompactionFlops flops, int calibrationImages, CompactionEvaluation? evaluation)
    {
        _network = network;
        _plan = plan;
        Flops = flops;
        CalibrationImages = calibrationImages;
        Evaluation = evaluation;
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
    /// from <see cref="Transforms.DecoupledNetworkTransformer.Compact"/>; null from <see cref="NetworkCompaction.Compact"/>.
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

    /// <summary>What compaction did to each gated layer, in path order.</summary>
    public IReadOnlyList<CompactedLayer> Layers => _plan.Report;

    /// <summary>FLOPs per image of the dense, gated and compact forms.</summary>
    public CompactionFlops Flops { get; }

    /// <summary>Number of calibration images the plan was made from (each of their paths is reproduced by construction).</summary>
    public int CalibrationImages { get; }

    /// <summary>How the compact network compares with the gated one on the evaluation images, or null when none were given.</summary>
    public CompactionEvaluation? Evaluation { get; }

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
