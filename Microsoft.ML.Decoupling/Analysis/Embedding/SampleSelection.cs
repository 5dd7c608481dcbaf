using Microsoft.ML.Decoupling.Seeding;

namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>Seeded choice of rows when an analysis caps the number of points it looks at.</summary>
internal static class SampleSelection
{
    /// <summary>All rows when <paramref name="count"/> ≤ <paramref name="max"/>; otherwise <paramref name="max"/> rows drawn without replacement, in ascending order.</summary>
    public static int[] Choose(int count, int max, int seed)
    {
        var rows = Enumerable.Range(0, count).ToArray();
        if (count <= max)
        {
            return rows;
        }

        var random = SeededRandom.ForStream(seed, 0);
        for (int i = 0; i < max; i++)
        {
            int j = i + random.NextInt(count - i);
            (rows[i], rows[j]) = (rows[j], rows[i]);
        }

        var chosen = rows.AsSpan(0, max).ToArray();
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>The rows <paramref name="rows"/> of a row-major matrix with <paramref name="width"/> columns.</summary>
    public static float[] Gather(ReadOnlySpan<float> matrix, int width, int[] rows)
    {
        var result = new float[(long)rows.Length * width];
        for (int i = 0; i < rows.Length; i++)
        {
            matrix.Slice(rows[i] * width, width).CopyTo(result.AsSpan(i * width, width));
        }

        return result;
    }
}
