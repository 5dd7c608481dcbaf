using Microsoft.ML.Decoupling.Analysis.Embedding;
using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Seeding;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Analysis.Clustering;

/// <summary>
/// The Hopkins statistic of gate vectors (paper §4.2, "decision-making process"): about 0.5 when the vectors show no
/// cluster structure, towards 1 when they are clustered.
/// </summary>
/// <remarks>
/// H = Σu / (Σu + Σw), with w the distance from a sampled vector to its nearest other vector and u the distance from a
/// reference vector to its nearest vector. Gate vectors are 0/1, so the reference vectors are drawn as 0/1 vectors
/// whose bits are independent with the data's per-bit frequencies (the "no structure" null for binary data), rather
/// than uniformly in the bounding box (the paper does not say which null it uses). Distances are Hamming distances
/// (squared Euclidean on 0/1 vectors), the natural distance between gate vectors; Euclidean distances, their square
/// roots, compress the contrast (two prototypes with 5 % flipped bits give about 0.72 instead of 0.86). When every
/// vector is the same, there is no structure to find and H is 0.5.
/// </remarks>
internal static class HopkinsStatistic
{
    /// <summary>Hopkins statistic of every gated layer's gate vectors in <paramref name="paths"/>, in path order.</summary>
    /// <param name="paths">The paths.</param>
    /// <param name="samples">Number of sampled and of reference vectors (at most Count − 1). Default 100.</param>
    /// <param name="seed">Seed of the samples.</param>
    public static IReadOnlyList<double> PerLayer(PathSet paths, int samples = 100, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        paths.RequireLayers();
        if (paths.Count < 2)
        {
            throw new ArgumentException($"The Hopkins statistic needs at least two paths; the set has {paths.Count}.", nameof(paths));
        }

        var rows = Enumerable.Range(0, paths.Count).ToArray();
        return Enumerable.Range(0, paths.Layout.Layers.Count).Select(l =>
        {
            var slice = paths.Slice(l, 1, out int width);
            return Compute(slice, width, rows, samples, seed + l);
        }).ToArray();
    }

    /// <summary>Hopkins statistic of the rows <paramref name="rows"/> of a row-major 0/1 matrix with <paramref name="width"/> columns.</summary>
    internal static double Compute(float[] matrix, int width, int[] rows, int samples, int seed)
    {
        int n = rows.Length;
        if (n < 2)
        {
            throw new ArgumentException("The Hopkins statistic needs at least two vectors.", nameof(rows));
        }

        int m = Math.Min(samples, n - 1);
        var random = SeededRandom.ForStream(seed, 0);
        var points = SampleSelection.Gather(matrix, width, rows);
        var frequencies = new double[width];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < width; j++)
            {
                frequencies[j] += points[(i * width) + j] > 0.5f ? 1 : 0;
            }
        }

        var reference = new float[m * width];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < width; j++)
            {
                reference[(i * width) + j] = random.NextDouble() < frequencies[j] / n ? 1f : 0f;
            }
        }

        // m distinct sampled vectors (partial Fisher-Yates over the positions).
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < m; i++)
        {
            int j = i + random.NextInt(n - i);
            (order[i], order[j]) = (order[j], order[i]);
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // tensor() keeps a managed copy of its array: made before the no-GC section, so that it does not spend its budget.
        var data = tensor(points, new long[] { n, width }, float64);
        // TorchSharp turns the numbers below into temporary scalars: no collection until their native calls have returned.
        using var collectionPause = Native.ScalarLifetimeGuard.Enter();
        var sampled = order.AsSpan(0, m).ToArray();
        var fromSamples = data.index(tensor(sampled.Select(s => (long)s).ToArray()));
        var w = SquaredDistances(fromSamples, data)
            .scatter(1, tensor(sampled.Select(s => (long)s).ToArray()).unsqueeze(1), full(new long[] { m, 1 }, double.PositiveInfinity, float64))
            .min(1).values.sum().item<double>();
        var u = SquaredDistances(tensor(reference, new long[] { m, width }, float64), data).min(1).values.sum().item<double>();
        return u + w == 0 ? 0.5 : u / (u + w);
    }

    private static Tensor SquaredDistances(Tensor a, Tensor b) =>
        (a.square().sum(1, keepdim: true) + b.square().sum(1).unsqueeze(0) - (2 * a.matmul(b.t()))).clamp_min(0);
}
