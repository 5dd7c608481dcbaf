using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Analysis.Paths;

/// <summary>Collects the calculation paths and classes of a data set by streaming it through a fitted decoupled network.</summary>
internal static class PathSetReader
{
    // ML.NET's annotation kind for key names; its own constant (AnnotationUtils.Kinds.KeyValues) is internal.
    private const string KeyValuesAnnotationKind = "KeyValues";
    private const int ProgressEvery = 256;

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
        DecoupledNetworkTransformer model,
        IDataView data,
        string labelColumn = DecouplingColumnNames.Label,
        IProgress<AnalysisProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labelColumn);
        var labelInfo = data.Schema.GetColumnOrNull(labelColumn)
            ?? throw new ArgumentException($"The data has no label column '{labelColumn}'.", nameof(labelColumn));
        if (labelInfo.Type is not KeyDataViewType key || key.RawType != typeof(uint) || key.Count == 0 || key.Count > int.MaxValue)
        {
            throw new ArgumentException($"The label column '{labelColumn}' must be a uint key with a known number of classes; it is {labelInfo.Type}.", nameof(labelColumn));
        }

        var classNames = ClassNames(labelInfo, key);
        var transformed = model.Transform(data);
        var pathColumn = transformed.Schema[model.Columns.Path];
        var labelOut = transformed.Schema[labelColumn];
        int pathLength = model.PathLayout.PathLength;
        long? total = data.GetRowCount();
        var paths = new List<float>();
        var labels = new List<int>();
        using (var cursor = transformed.GetRowCursor([pathColumn, labelOut]))
        {
            var pathGetter = cursor.GetGetter<VBuffer<float>>(pathColumn);
            var labelGetter = cursor.GetGetter<uint>(labelOut);
            VBuffer<float> path = default;
            uint label = 0;
            while (cursor.MoveNext())
            {
                cancellationToken.ThrowIfCancellationRequested();
                labelGetter(ref label);
                if (label == 0)
                {
                    throw new ArgumentException($"Row {labels.Count} has a missing key in the label column '{labelColumn}'.", nameof(data));
                }

                pathGetter(ref path);
                if (path.Length != pathLength)
                {
                    throw new InvalidOperationException($"Row {labels.Count} has a path of {path.Length} values; the model's paths have {pathLength}.");
                }

                paths.AddRange(path.DenseValues());
                labels.Add((int)label - 1);
                if (labels.Count % ProgressEvery == 0)
                {
                    progress?.Report(("paths", labels.Count, total));
                }
            }
        }

        if (labels.Count == 0)
        {
            throw new ArgumentException("The data has no rows.", nameof(data));
        }

        progress?.Report(("paths", labels.Count, labels.Count));
        return new PathSet([.. paths], [.. labels], model.PathLayout, classNames);
    }

    private static string[] ClassNames(DataViewSchema.Column label, KeyDataViewType key)
    {
        int count = (int)key.Count;
        var annotation = label.Annotations.Schema.GetColumnOrNull(KeyValuesAnnotationKind);
        if (annotation is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            label.Annotations.GetValue(KeyValuesAnnotationKind, ref names);
            var values = names.DenseValues().Select(n => n.ToString()).ToArray();
            if (values.Length == count)
            {
                return values;
            }
        }

        return Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
