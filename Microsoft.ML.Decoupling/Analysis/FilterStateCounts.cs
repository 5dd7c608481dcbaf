namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>
/// Filter states over a data set (paper §4.2): energetic filters are on for every input, silent filters for none,
/// dynamic filters for some.
/// </summary>
/// <param name="Energetic">Filters on for every input.</param>
/// <param name="Silent">Filters off for every input.</param>
/// <param name="Dynamic">Filters on for some inputs only.</param>
public sealed record FilterStateCounts(int Energetic, int Silent, int Dynamic)
{
    /// <summary>Counts the states from paths given row after row (count × <paramref name="pathLength"/> values, 0/1).</summary>
    public static FilterStateCounts FromPaths(IEnumerable<float[]> paths, int pathLength)
    {
        var onCounts = new int[pathLength];
        int rows = 0;
        foreach (var path in paths)
        {
            if (path.Length != pathLength)
            {
                throw new ArgumentException($"A path has {path.Length} values; expected {pathLength}.", nameof(paths));
            }

            for (int i = 0; i < pathLength; i++)
            {
                onCounts[i] += path[i] > 0.5f ? 1 : 0;
            }

            rows++;
        }

        if (rows == 0)
        {
            throw new ArgumentException("At least one path is needed to count filter states.", nameof(paths));
        }

        int energetic = onCounts.Count(c => c == rows);
        int silent = onCounts.Count(c => c == 0);
        return new FilterStateCounts(energetic, silent, pathLength - energetic - silent);
    }
}
