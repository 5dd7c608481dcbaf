using Microsoft.ML.Decoupling.Analysis.Paths;

namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>
/// How well the class can be told from the path alone: leave-one-out k-NN accuracy per gated layer and for the whole
/// path (a plot-free companion of the paper's Fig. 3; higher with the mutual-information loss, Table 7's direction).
/// </summary>
public sealed class PathSeparability
{
    /// <summary>Name of the whole-path entry.</summary>
    public const string WholePathName = "path";

    private PathSeparability(IReadOnlyList<(string Layer, double Accuracy)> layers, (string Layer, double Accuracy) wholePath, double chance, int neighbors, int samples)
    {
        Layers = layers;
        WholePath = wholePath;
        ChanceAccuracy = chance;
        Neighbors = neighbors;
        Samples = samples;
    }

    /// <summary>Per gated layer, in path order: the layer name and the leave-one-out k-NN accuracy of the class from its gates.</summary>
    public IReadOnlyList<(string Layer, double Accuracy)> Layers { get; }

    /// <summary>The whole path (named <see cref="WholePathName"/>) and its leave-one-out k-NN accuracy (Hamming distance).</summary>
    public (string Layer, double Accuracy) WholePath { get; }

    /// <summary>Share of the most frequent class among the samples: what a classifier that ignores the path reaches.</summary>
    public double ChanceAccuracy { get; }

    /// <summary>k, the number of neighbours that vote.</summary>
    public int Neighbors { get; }

    /// <summary>Number of paths used (all, or a seeded sample of <c>maxSamples</c>).</summary>
    public int Samples { get; }

    /// <summary>Computes the k-NN accuracies on <paramref name="paths"/>.</summary>
    /// <param name="paths">The paths and classes.</param>
    /// <param name="neighbors">k, at least 1. Default 5.</param>
    /// <param name="maxSamples">At most this many paths (a seeded sample) are used; the cost grows with its square. Default 5000.</param>
    /// <param name="seed">Seed of the sample.</param>
    /// <param name="progress">Receives "k-NN" progress per layer.</param>
    public static PathSeparability Compute(PathSet paths, int neighbors = 5, int maxSamples = 5000, int seed = 0, IProgress<AnalysisProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThan(neighbors, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 2);
        paths.RequireLayers();
        if (paths.Count < 2)
        {
            throw new ArgumentException("k-NN separability needs at least two paths.", nameof(paths));
        }

        var rows = SampleSelection.Choose(paths.Count, maxSamples, seed);
        var labels = rows.Select(r => paths.LabelArray[r]).ToArray();
        int layerCount = paths.Layout.Layers.Count;
        var layers = new List<(string Layer, double Accuracy)>(layerCount);
        for (int l = 0; l < layerCount; l++)
        {
            layers.Add((paths.Layout.Layers[l].Name, Accuracy(paths, l, 1, rows, labels, neighbors)));
            progress?.Report(("k-NN", l + 1, layerCount + 1));
        }

        var whole = (WholePathName, Accuracy(paths, 0, layerCount, rows, labels, neighbors));
        progress?.Report(("k-NN", layerCount + 1, layerCount + 1));
        double chance = labels.GroupBy(l => l).Max(g => g.Count()) / (double)labels.Length;
        return new PathSeparability(layers, whole, chance, neighbors, rows.Length);
    }

    /// <summary>The whole-path leave-one-out k-NN accuracy alone, on a seeded sample of at most <paramref name="maxSamples"/> paths.</summary>
    internal static double WholePathOnly(PathSet paths, int neighbors, int maxSamples, int seed, out int samples)
    {
        var rows = SampleSelection.Choose(paths.Count, maxSamples, seed);
        samples = rows.Length;
        var labels = rows.Select(r => paths.LabelArray[r]).ToArray();
        return Accuracy(paths, 0, paths.Layout.Layers.Count, rows, labels, neighbors);
    }

    private static double Accuracy(PathSet paths, int firstLayer, int layerCount, int[] rows, int[] labels, int neighbors)
    {
        var slice = paths.Slice(firstLayer, layerCount, out int width);
        var points = SampleSelection.Gather(slice, width, rows);
        return NearestNeighborVote.LeaveOneOutAccuracy(points, rows.Length, width, labels, paths.ClassCount, neighbors);
    }
}
