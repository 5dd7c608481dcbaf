using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>Per-layer filter states (paper §4.2: energetic, silent, dynamic) from the calculation paths of a data set.</summary>
internal static class FilterStateAnalysis
{
    /// <summary>Counts the states of every gated layer from <paramref name="count"/> paths stored row after row (0/1 values).</summary>
    /// <exception cref="ArgumentException">The paths do not have the layout's length, or there are none.</exception>
    public static IReadOnlyList<LayerFilterStates> PerLayer(ReadOnlySpan<float> paths, int count, CalculationPathLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (count < 1)
        {
            throw new ArgumentException("At least one path is needed to count filter states.", nameof(paths));
        }

        if (paths.Length != (long)count * layout.PathLength)
        {
            throw new ArgumentException($"Expected {count} paths of {layout.PathLength} values, got {paths.Length} values.", nameof(paths));
        }

        var onCounts = OnCounts(paths, count, layout.PathLength);
        var result = new List<LayerFilterStates>(layout.Layers.Count);
        foreach (var layer in layout.Layers)
        {
            var counts = onCounts.AsSpan(layer.PathOffset, layer.Filters);
            int energetic = 0, silent = 0;
            long on = 0;
            foreach (int c in counts)
            {
                energetic += c == count ? 1 : 0;
                silent += c == 0 ? 1 : 0;
                on += c;
            }

            result.Add(new LayerFilterStates(
                layer.Name,
                layer.Filters,
                new FilterStateCounts(energetic, silent, layer.Filters - energetic - silent),
                (double)on / ((long)count * layer.Filters)));
        }

        return result;
    }

    /// <summary>For each path bit, the number of the <paramref name="count"/> paths in which it is on (&gt; 0.5).</summary>
    internal static int[] OnCounts(ReadOnlySpan<float> paths, int count, int pathLength)
    {
        var onCounts = new int[pathLength];
        for (int row = 0; row < count; row++)
        {
            var path = paths.Slice(row * pathLength, pathLength);
            for (int i = 0; i < path.Length; i++)
            {
                onCounts[i] += path[i] > 0.5f ? 1 : 0;
            }
        }

        return onCounts;
    }

    /// <summary>Totals of <see cref="PerLayer"/> over all layers.</summary>
    public static FilterStateCounts Total(IReadOnlyList<LayerFilterStates> layers) => new(
        layers.Sum(l => l.States.Energetic), layers.Sum(l => l.States.Silent), layers.Sum(l => l.States.Dynamic));
}
