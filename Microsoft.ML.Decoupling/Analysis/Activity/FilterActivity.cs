using Microsoft.ML.Decoupling.Analysis.Paths;

namespace Microsoft.ML.Decoupling.Analysis.Activity;

/// <summary>
/// Filter activity of every gated layer over a data set (paper Figs. 4 and 5, Table 7): per filter, how often it is
/// open, overall and per class; per layer, the energetic / silent / dynamic split.
/// </summary>
public sealed class FilterActivity
{
    private FilterActivity(IReadOnlyList<LayerActivity> layers, int images, IReadOnlyList<string> classNames)
    {
        Layers = layers;
        Images = images;
        ClassNames = classNames;
    }

    /// <summary>One entry per gated layer, in path order.</summary>
    public IReadOnlyList<LayerActivity> Layers { get; }

    /// <summary>Number of inputs counted.</summary>
    public int Images { get; }

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>State counts summed over all layers.</summary>
    public FilterStateCounts Total => new(
        Layers.Sum(l => l.States.Energetic), Layers.Sum(l => l.States.Silent), Layers.Sum(l => l.States.Dynamic));

    /// <summary>Share of all gated filters that are dynamic (Table 7's "dynamic" column, as a fraction).</summary>
    public double DynamicShare
    {
        get
        {
            var total = Total;
            int filters = total.Energetic + total.Silent + total.Dynamic;
            return filters == 0 ? 0 : (double)total.Dynamic / filters;
        }
    }

    /// <summary>Counts how often every filter is open in <paramref name="paths"/>, overall and per class.</summary>
    public static FilterActivity Compute(PathSet paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var layout = paths.Layout;
        int classes = paths.ClassCount;
        var onCounts = new int[layout.PathLength];
        var classOnCounts = new int[(long)classes * layout.PathLength];
        var classImages = new int[classes];
        var all = paths.AllPaths;
        var labels = paths.LabelArray;
        for (int row = 0; row < paths.Count; row++)
        {
            var path = all.Slice(row * layout.PathLength, layout.PathLength);
            int classOffset = labels[row] * layout.PathLength;
            classImages[labels[row]]++;
            for (int i = 0; i < path.Length; i++)
            {
                if (path[i] > 0.5f)
                {
                    onCounts[i]++;
                    classOnCounts[classOffset + i]++;
                }
            }
        }

        var layers = new List<LayerActivity>(layout.Layers.Count);
        foreach (var layer in layout.Layers)
        {
            var perClass = new int[classes * layer.Filters];
            for (int c = 0; c < classes; c++)
            {
                classOnCounts.AsSpan((c * layout.PathLength) + layer.PathOffset, layer.Filters).CopyTo(perClass.AsSpan(c * layer.Filters));
            }

            layers.Add(new LayerActivity(layer.Name, paths.Count, onCounts.AsSpan(layer.PathOffset, layer.Filters).ToArray(), perClass, classImages));
        }

        return new FilterActivity(layers, paths.Count, paths.ClassNames);
    }
}
