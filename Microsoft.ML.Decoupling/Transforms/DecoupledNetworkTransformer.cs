using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Analysis.Activity;
using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Training;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// A trained decoupled network. Transform adds Score, PredictedLabel and Path by running the network's ONNX export
/// (with its gating ops) in ONNX Runtime; <c>mlContext.Model.Save</c> writes a standard ML.NET model that stock
/// ML.NET loads without this package. The TorchSharp network stays available for attacks and analysis.
/// </summary>
public sealed class DecoupledNetworkTransformer : ITransformer, ICanSaveModel, IDisposable
{
    private readonly ITransformer _inner;
    private readonly OwnedModelFile _modelFile;
    private readonly Func<DecoupledNetwork, DecoupledNetworkTransformer> _withNetwork;
    private readonly RowReadGuard _rowReads;
    private bool _disposed;

    /// <param name="network">The network, owned from now on.</param>
    /// <param name="inner">The ML.NET stages that run its ONNX graph.</param>
    /// <param name="modelFile">The ONNX file the stages read.</param>
    /// <param name="history">The training's epoch reports.</param>
    /// <param name="columns">The columns read and written.</param>
    /// <param name="withNetwork">Builds the same pipeline around another network (the compact one).</param>
    internal DecoupledNetworkTransformer(DecoupledNetwork network, ITransformer inner, OwnedModelFile modelFile, IReadOnlyList<EpochReport> history, DecouplingColumns columns, Func<DecoupledNetwork, DecoupledNetworkTransformer> withNetwork)
    {
        Network = network;
        _inner = inner;
        _modelFile = modelFile;
        TrainingHistory = history;
        Columns = columns;
        _withNetwork = withNetwork;
        _rowReads = new RowReadGuard(this);
    }

    /// <summary>The trained TorchSharp network (evaluation mode). Owned by this transformer.</summary>
    public DecoupledNetwork Network { get; }

    /// <summary>The layer table mapping path bits to (layer, filter).</summary>
    public CalculationPathLayout PathLayout => Network.Description.PathLayout;

    /// <summary>Per-epoch training averages.</summary>
    public IReadOnlyList<EpochReport> TrainingHistory { get; }

    /// <summary>The columns this transformer reads and writes (as configured in the estimator's options).</summary>
    internal DecouplingColumns Columns { get; }

    /// <summary>Per-image FLOPs (multiply-accumulates) of the same network without gates.</summary>
    public long DenseFlops => FlopsCounter.Dense(Network.Description);

    /// <summary>The ONNX file the ML.NET pipeline runs (a temporary file owned by this transformer).</summary>
    internal string ModelFilePath => _modelFile.Path;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => _inner.IsRowToRowMapper;

    /// <summary>Per-image FLOPs of the gated network for one calculation path.</summary>
    public long FlopsForPath(ReadOnlySpan<float> path) => FlopsCounter.ForPath(Network.Description, path);

    /// <summary>
    /// Runs the transformer over <paramref name="data"/> and counts, per gated layer, the filters that are energetic (on
    /// for every row), silent (never on) and dynamic (paper §4.2).
    /// </summary>
    /// <exception cref="ArgumentException">The data has no rows.</exception>
    public IReadOnlyList<LayerFilterStates> AnalyzeFilterStates(IDataView data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(data);
        var transformed = Transform(data);
        var column = transformed.Schema[Columns.Path];
        var paths = new List<float>();
        int rows = 0;
        using (var cursor = transformed.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> path = default;
            while (cursor.MoveNext())
            {
                getter(ref path);
                paths.AddRange(path.DenseValues());
                rows++;
            }
        }

        return FilterStateAnalysis.PerLayer(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(paths), rows, PathLayout);
    }

    /// <summary>
    /// Runs the transformer over <paramref name="data"/> and counts, for every gated filter, how many rows (overall and
    /// per class of <paramref name="labelColumnName"/>) it is open for (paper Figs. 4 and 5); see <see cref="FilterActivity"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The label column is missing or not a key, or the data has no rows.</exception>
    public FilterActivity AnalyzeFilterActivity(IDataView data, string labelColumnName = DecouplingColumnNames.Label, IProgress<AnalysisProgress>? progress = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return FilterActivity.Compute(PathSetReader.Read(this, data, labelColumnName, progress));
    }

    /// <summary>
    /// Measures how useful the network's paths are on <paramref name="data"/> (dynamic share per layer and overall, distinct
    /// paths, each layer's path-classifier accuracy, whole-path <paramref name="neighbors"/>-NN accuracy of the class); see
    /// <see cref="PathQuality"/>. Use held-out data: on the training set the k-NN flatters.
    /// </summary>
    /// <exception cref="ArgumentException">The label column is missing or not a key, or the data has fewer than two rows.</exception>
    /// <exception cref="InvalidOperationException">The model is compact.</exception>
    public PathQuality MeasurePathQuality(IDataView data, string labelColumnName = DecouplingColumnNames.Label, int neighbors = 5, int maxSamples = 5000)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Network.IsCompact)
        {
            throw new InvalidOperationException("A compact model has no path classifiers (W_cla); measure path quality on the gated model it came from.");
        }

        return PathQuality.Compute(PathSetReader.Read(this, data, labelColumnName), Network, neighbors, maxSamples);
    }

    /// <summary>
    /// Writes the network's parameters and buffers as a PyTorch state dict (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>) or a
    /// <c>.safetensors</c> file, with the keys of the usual PyTorch implementation of the architecture: PyTorch loads it,
    /// and <see cref="PretrainedWeights.FromFile"/> turns a dense one into the initial weights of a decoupled network.
    /// </summary>
    public void SaveWeights(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StateDictFile.Write(path, Network);
    }

    /// <summary>
    /// Saves this model as <c>mlContext.Model.Save</c> does (a standard ML.NET model file that stock ML.NET loads), but
    /// atomically: into a temporary file in the same folder, then renamed over <paramref name="path"/>. ML.NET's own
    /// <c>Model.Save(model, schema, path)</c> opens and truncates the file before it asks the model to save, so a failure
    /// (a disposed model, a full disk) destroys an existing good file; this one leaves it untouched.
    /// </summary>
    /// <param name="mlContext">The context that saves the model.</param>
    /// <param name="inputSchema">The schema of the data the model reads, as for <c>mlContext.Model.Save</c>.</param>
    /// <param name="path">The .zip file to write; its folder must exist.</param>
    /// <exception cref="ObjectDisposedException">The model was disposed (nothing is written).</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public void Save(MLContext mlContext, DataViewSchema inputSchema, string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(inputSchema);
        string fullPath = IO.OutputFilePath.Resolve(path, nameof(path), IO.OutputFilePath.ModelFile);
        IO.AtomicFile.Write(fullPath, stream => mlContext.Model.Save(this, inputSchema, stream));
    }

    /// <summary>
    /// Exports the network to ONNX (dynamic batch, layer table in metadata_props). Without options, the input and the
    /// outputs are named after the pipeline's columns (the estimator options' column names), as in the pipeline that
    /// <c>mlContext.Model.Save</c> writes.
    /// </summary>
    public void SaveOnnx(string path, OnnxExportOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new OnnxExportOptions { InputName = Columns.Feature, ScoreName = Columns.Score, PathName = Columns.Path, ResponsesName = Columns.Responses, PathDeviationName = Columns.PathDeviation };
        DecoupledNetworkOnnxExporter.Export(Network, path, options);
    }

    /// <summary>
    /// Whether reading a row fails on an image value that is not a finite pixel in [0, 1] (naming the column, the row and
    /// the value); set from <see cref="DecoupleNetworkEstimator.Options.CheckPixels"/>. Not saved in a model file.
    /// </summary>
    public bool CheckPixels { get; init; } = true;

    /// <summary>
    /// Builds the compact network for inference (see <see cref="NetworkCompaction"/>): filters that stay closed for every
    /// image of <paramref name="calibration"/> (the training data, typically) are removed, and layers whose remaining
    /// filters are always open lose their gate. With <paramref name="evaluation"/> (a test set), the result reports how many
    /// of its images would take another path and how often both networks agree. Both data views need the image column
    /// (<see cref="DecouplingColumns.Feature"/>). The result's <see cref="CompactionResult.Model"/> is the compact network as
    /// a transformer: the same Score, PredictedLabel and Path columns (no Responses: the compact graph does not compute
    /// removed filters), the compact ONNX graph inside, saved and loaded with <c>mlContext.Model</c> as this one.
    /// </summary>
    /// <exception cref="ArgumentException">A data view has no rows, or lacks the image column or gives it another type, or
    /// (with <see cref="CheckPixels"/>) holds a value that is not a finite pixel in [0, 1].</exception>
    /// <exception cref="InvalidOperationException">This model is already compact.</exception>
    public CompactionResult Compact(IDataView calibration, IDataView? evaluation = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(calibration);
        if (Network.IsCompact)
        {
            throw new InvalidOperationException("This model is already compact (made by Compact); compact the gated model it came from instead.");
        }

        var (pixels, count) = ReadImages(calibration, nameof(calibration));
        var (evaluationPixels, evaluationCount) = evaluation is null ? (null, 0) : ReadImages(evaluation, nameof(evaluation));
        var result = NetworkCompaction.Compact(Network, pixels, count, evaluationPixels, evaluationCount);
        try
        {
            result.Model = _withNetwork(result.Network);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or is not a vector of Single of the network's input size.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireImageColumn(inputSchema);
        return _inner.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or is not a vector of Single of the network's input size.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireImageColumn(inputSchema);
        var mapper = _inner.GetRowToRowMapper(inputSchema);
        return CheckPixels ? new PixelCheckingMapper(mapper, Columns.Feature) : mapper;
    }

    /// <inheritdoc/>
    /// <remarks>The returned view is readable until this model is disposed; reading it afterwards throws
    /// <see cref="ObjectDisposedException"/> (see <see cref="Dispose"/>).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or is not a vector of Single of the network's input size.</exception>
    public IDataView Transform(IDataView input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(input);
        RequireImageColumn(input.Schema);
        var output = CheckPixels ? new PixelCheckErrorDataView(_inner.Transform(new PixelCheckingDataView(input, Columns.Feature))) : _inner.Transform(input);
        return new RowReadGuardedDataView(output, _rowReads);
    }

    // ML.NET's ONNX stage accepts a vector of another size and fails only while rows are read, with a message that names
    // neither the column nor the sizes.
    private void RequireImageColumn(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var input = Network.Input;
        int expected = input.Channels * input.Height * input.Width;
        var column = schema.GetColumnOrNull(Columns.Feature)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Column '{Columns.Feature}' was not found; the network reads Vector<Single, {expected}> ({input.Channels}×{input.Height}×{input.Width}) from it.");
        // A column that carries its shape (ExtractPixels: C, H, W) must carry the network's: the same size with the sides
        // swapped would be read as other images without a word.
        if (column.Type is not VectorDataViewType { ItemType: var item } vector || item != NumberDataViewType.Single || vector.Size != expected
            || (vector.Dimensions.Length == 3 && (vector.Dimensions[0], vector.Dimensions[1], vector.Dimensions[2]) != (input.Channels, input.Height, input.Width)))
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Column '{Columns.Feature}' is {column.Type} ({Describe(column.Type)}); the network was trained on Vector<Single, {expected}> "
                + $"({input.Channels}×{input.Height}×{input.Width}). Resize the images to {input.Height}×{input.Width} with {input.Channels} channel(s).");
        }
    }

    private static string Describe(DataViewType type) => type is VectorDataViewType vector
        ? (vector.Size == 0 ? "a vector of unknown size"
            : vector.Dimensions.Length == 3 ? $"{vector.Dimensions[0]}×{vector.Dimensions[1]}×{vector.Dimensions[2]} values of {vector.ItemType}"
            : $"{vector.Size} values of {vector.ItemType}")
        : "not a vector";

    /// <summary>Saves the ONNX-backed ML.NET pipeline (what <c>mlContext.Model.Save</c> calls).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ((ICanSaveModel)_inner).Save(ctx);
    }

    private (float[] Pixels, int Count) ReadImages(IDataView data, string parameter)
    {
        int size = Network.Input.Size;
        var column = data.Schema.GetColumnOrNull(Columns.Feature)
            ?? throw new ArgumentException($"The data has no image column '{Columns.Feature}'.", parameter);
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: var width } vector || vector.ItemType != NumberDataViewType.Single || width != size)
        {
            throw new ArgumentException($"Column '{Columns.Feature}' must be Vector<Single, {size}> ({Network.Input}); found {column.Type}.", parameter);
        }

        var pixels = new List<float>();
        int count = 0;
        using (var cursor = data.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> image = default;
            while (cursor.MoveNext())
            {
                getter(ref image);
                int index = 0;
                foreach (float value in image.DenseValues())
                {
                    // The scoring check's rule (CheckPixels): a compaction planned on bytes not divided by 255 is wrong too.
                    if (CheckPixels && !Inference.PixelInput.IsUnitPixel(value))
                    {
                        throw new ArgumentException(PixelCheck.Message(Columns.Feature, value, index, count), parameter);
                    }

                    pixels.Add(value);
                    index++;
                }

                count++;
            }
        }

        if (count == 0)
        {
            throw new ArgumentException("The data has no rows; compaction needs at least one image.", parameter);
        }

        return (pixels.ToArray(), count);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>
    /// Releases the ONNX Runtime session, the temporary model file and the network. Dispose waits for the row reads in
    /// flight on other threads (one cursor step or value read each, not whole cursors) to finish; after it, every member
    /// and every read of a view this model transformed, cursors already open included, throw
    /// <see cref="ObjectDisposedException"/>. Call it from a thread that is not itself reading such a view.
    /// </summary>
    public void Dispose()
    {
        if (!_rowReads.Close())
        {
            return;
        }

        _disposed = true;
        // Dispose every stage explicitly: the ONNX stage owns an ONNX Runtime session and a temporary model file
        // that ML.NET deletes only on Dispose.
        if (_inner is IEnumerable<ITransformer> stages)
        {
            foreach (var stage in stages)
            {
                (stage as IDisposable)?.Dispose();
            }
        }

        (_inner as IDisposable)?.Dispose();
        _modelFile.Dispose();
        Network.Dispose();
    }
}
