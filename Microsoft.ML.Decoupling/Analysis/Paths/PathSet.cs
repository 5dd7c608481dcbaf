using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Analysis.Paths;

/// <summary>
/// The calculation paths of a data set with the class of each input: what every path analysis reads. Paths are 0/1
/// values stored row after row; <see cref="Read"/> collects them from an <see cref="IDataView"/>.
/// </summary>
public sealed class PathSet
{
    private readonly float[] _paths;
    private readonly int[] _labels;
    private readonly string[] _classNames;

    /// <summary>Creates a set over <paramref name="paths"/> (taken over, not copied) and their classes.</summary>
    /// <param name="paths">Count × <see cref="CalculationPathLayout.PathLength"/> values, row after row; each 0 (off) or 1 (on).</param>
    /// <param name="labels">Class index of each path, in [0, <paramref name="classNames"/>.Count).</param>
    /// <param name="layout">The layer table of the paths.</param>
    /// <param name="classNames">Class names, one per class index.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a path value is neither 0 nor 1, a label is out of range, or there are no paths.</exception>
    public PathSet(float[] paths, int[] labels, CalculationPathLayout layout, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(classNames);
        if (labels.Length == 0)
        {
            throw new ArgumentException("At least one path is needed.", nameof(labels));
        }

        if (paths.LongLength != (long)labels.Length * layout.PathLength)
        {
            throw new ArgumentException(
                $"Expected {labels.Length} paths × {layout.PathLength} values = {(long)labels.Length * layout.PathLength}, got {paths.Length}.", nameof(paths));
        }

        PathValues.RequireBinary(paths, layout.PathLength, nameof(paths));

        if (classNames.Count == 0)
        {
            throw new ArgumentException("At least one class name is needed.", nameof(classNames));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
            {
                throw new ArgumentException($"Label {labels[i]} of path {i} is outside [0, {classNames.Count}).", nameof(labels));
            }
        }

        _paths = paths;
        _labels = labels;
        _classNames = [.. classNames];
        Layout = layout;
    }

    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="data"/> row by row (only the paths are kept) and returns them with
    /// the class of each row, read from the key column <paramref name="labelColumn"/>; class names come from its key values.
    /// </summary>
    /// <param name="model">The fitted transformer.</param>
    /// <param name="data">Images in the model's feature column and a key-typed label column.</param>
    /// <param name="labelColumn">The label column (a key type; rows with a missing key are refused).</param>
    /// <param name="progress">Receives "paths" progress every 256 rows.</param>
    /// <param name="cancellationToken">Stops between rows.</param>
    /// <exception cref="ArgumentException">The label column is missing or not a key, a label is missing, or there are no rows.</exception>
    public static PathSet Read(
        Transforms.DecoupledNetworkTransformer model,
        IDataView data,
        string labelColumn = DecouplingColumnNames.Label,
        IProgress<AnalysisProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        PathSetReader.Read(model, data, labelColumn, progress, cancellationToken);

    /// <summary>The layer table mapping path bits to (layer, filter).</summary>
    public CalculationPathLayout Layout { get; }

    /// <summary>Number of paths (inputs).</summary>
    public int Count => _labels.Length;

    /// <summary>Class names; label k is <c>ClassNames[k]</c>.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Number of classes.</summary>
    public int ClassCount => _classNames.Length;

    /// <summary>Class index of every path.</summary>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>The path of input <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> GetPath(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _paths.AsSpan(index * Layout.PathLength, Layout.PathLength);
    }

    /// <summary>All paths, row after row.</summary>
    internal ReadOnlySpan<float> AllPaths => _paths;

    internal int[] LabelArray => _labels;

    /// <summary>
    /// The gate vectors of gated layers [<paramref name="firstLayer"/>, <paramref name="firstLayer"/> + <paramref name="layerCount"/>)
    /// as a Count × width matrix, row after row (the whole path when all layers are taken).
    /// </summary>
    internal float[] Slice(int firstLayer, int layerCount, out int width)
    {
        var first = Layout.Layers[firstLayer];
        var last = Layout.Layers[firstLayer + layerCount - 1];
        int offset = first.PathOffset;
        width = last.PathOffset + last.Filters - offset;
        var result = new float[(long)Count * width];
        for (int row = 0; row < Count; row++)
        {
            _paths.AsSpan((row * Layout.PathLength) + offset, width).CopyTo(result.AsSpan(row * width, width));
        }

        return result;
    }

    /// <summary>Checks that the set has the gated layers an analysis needs.</summary>
    internal void RequireLayers()
    {
        if (Layout.Layers.Count == 0)
        {
            throw new InvalidOperationException("The paths have no gated layers: the network was built without gates.");
        }
    }
}
