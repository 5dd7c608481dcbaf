using Microsoft.ML.Decoupling.Analysis.Embedding;
using Microsoft.ML.Decoupling.Analysis.Paths;

namespace Microsoft.ML.Decoupling.Analysis.Clustering;

/// <summary>
/// Paper Fig. 9, the decision-making process of a network: starting with all inputs at the first gated layer, a group
/// whose gate vectors at the current layer are clustered (Hopkins statistic above a threshold) is split in two by
/// k-means and each half continues at the next layer; an unclustered group continues whole. For each pair of classes
/// the tree tells the first layer at which their paths part.
/// </summary>
public sealed class PathDecisionTree
{
    private readonly (int ClassA, int ClassB, int? LayerIndex, string? Layer)[] _pairs;

    private PathDecisionTree(PathTreeNode root, IReadOnlyList<string> layers, IReadOnlyList<string> classNames)
    {
        Root = root;
        Layers = layers;
        ClassNames = classNames;
        _pairs = Pairs(root, classNames.Count, layers);
    }

    /// <summary>The group of all inputs.</summary>
    public PathTreeNode Root { get; }

    /// <summary>Gated layer names, in path order.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// For every pair of classes (a &lt; b), the first gated layer (index and name) at which they separate; null for a pair
    /// that never separates.
    /// </summary>
    public IReadOnlyList<(int ClassA, int ClassB, int? LayerIndex, string? Layer)> ClassPairs => _pairs;

    /// <summary>
    /// The Hopkins statistic (paper §4.2) of every gated layer's gate vectors in <paramref name="paths"/>, in path order:
    /// about 0.5 when they show no cluster structure, towards 1 when they are clustered; the tree splits a group where it
    /// exceeds <see cref="PathTreeOptions.HopkinsThreshold"/>. Hamming distances; the reference vectors are 0/1 with the
    /// data's per-bit frequencies; 0.5 when every vector is the same.
    /// </summary>
    /// <param name="paths">The paths.</param>
    /// <param name="samples">Number of sampled and of reference vectors (at most Count − 1). Default 100.</param>
    /// <param name="seed">Seed of the samples.</param>
    public static IReadOnlyList<double> HopkinsPerLayer(PathSet paths, int samples = 100, int seed = 0) => HopkinsStatistic.PerLayer(paths, samples, seed);

    /// <summary>Builds the tree of <paramref name="paths"/>.</summary>
    /// <param name="paths">The paths and classes.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="progress">Receives "path tree" progress per layer of the root's descent.</param>
    public static PathDecisionTree Build(PathSet paths, PathTreeOptions? options = null, IProgress<AnalysisProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        options ??= new PathTreeOptions();
        options.Validate();
        paths.RequireLayers();
        int layerCount = paths.Layout.Layers.Count;
        var slices = new float[layerCount][];
        var widths = new int[layerCount];
        for (int l = 0; l < layerCount; l++)
        {
            slices[l] = paths.Slice(l, 1, out widths[l]);
        }

        var builder = new Builder(paths, slices, widths, options, progress);
        var root = builder.Grow(Enumerable.Range(0, paths.Count).ToArray(), 0);
        return new PathDecisionTree(root, paths.Layout.Layers.Select(l => l.Name).ToArray(), paths.ClassNames);
    }

    /// <summary>The separation of classes <paramref name="classA"/> and <paramref name="classB"/>.</summary>
    public (int ClassA, int ClassB, int? LayerIndex, string? Layer) Separation(int classA, int classB)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classA);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classA, ClassNames.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(classB);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(classB, ClassNames.Count);
        if (classA == classB)
        {
            throw new ArgumentException("Expected two different classes.", nameof(classB));
        }

        var (a, b) = classA < classB ? (classA, classB) : (classB, classA);
        return _pairs.Single(p => p.ClassA == a && p.ClassB == b);
    }

    private static (int ClassA, int ClassB, int? LayerIndex, string? Layer)[] Pairs(PathTreeNode root, int classes, IReadOnlyList<string> layers)
    {
        var result = new List<(int ClassA, int ClassB, int? LayerIndex, string? Layer)>();
        for (int a = 0; a < classes; a++)
        {
            for (int b = a + 1; b < classes; b++)
            {
                // Follow both classes down the tree, each into the child that holds most of its inputs, until they part.
                var node = root;
                int? layer = null;
                // A class without inputs parts from no other: it has no path to follow.
                while (node.Children.Count > 0 && node.ClassCounts[a] > 0 && node.ClassCounts[b] > 0)
                {
                    int childA = MajorityChild(node, a), childB = MajorityChild(node, b);
                    if (childA != childB)
                    {
                        layer = node.SplitLayer;
                        break;
                    }

                    node = node.Children[childA];
                }

                result.Add((a, b, layer, layer is { } l ? layers[l] : null));
            }
        }

        return [.. result];
    }

    private static int MajorityChild(PathTreeNode node, int label) =>
        node.Children[1].ClassCounts[label] > node.Children[0].ClassCounts[label] ? 1 : 0;

    private sealed class Builder(PathSet paths, float[][] slices, int[] widths, PathTreeOptions options, IProgress<AnalysisProgress>? progress)
    {
        private int _nodes;

        public PathTreeNode Grow(int[] rows, int layer)
        {
            int node = _nodes++;
            for (int l = layer; l < slices.Length; l++)
            {
                if (node == 0)
                {
                    progress?.Report(("path tree", l + 1, slices.Length));
                }

                if (rows.Length < options.MinimumNodeSize)
                {
                    break;
                }

                double hopkins = HopkinsStatistic.Compute(slices[l], widths[l], rows, options.HopkinsSamples, options.Seed + l);
                if (hopkins <= options.HopkinsThreshold)
                {
                    continue;
                }

                var points = SampleSelection.Gather(slices[l], widths[l], rows);
                var cluster = PathKMeans.SplitInTwo(points, rows.Length, widths[l], options.Seed + l);
                var first = rows.Where((_, i) => cluster[i] == 0).ToArray();
                var second = rows.Where((_, i) => cluster[i] != 0).ToArray();
                if (first.Length == 0 || second.Length == 0)
                {
                    continue;
                }

                // The larger group first, so that the drawing reads the same whatever k-means numbered its clusters.
                if (second.Length > first.Length || (second.Length == first.Length && second[0] < first[0]))
                {
                    (first, second) = (second, first);
                }

                var children = new[] { Grow(first, l + 1), Grow(second, l + 1) };
                return new PathTreeNode(rows, Count(rows), l, paths.Layout.Layers[l].Name, hopkins, children);
            }

            return new PathTreeNode(rows, Count(rows), null, null, null, []);
        }

        private int[] Count(int[] rows)
        {
            var counts = new int[paths.ClassCount];
            foreach (int row in rows)
            {
                counts[paths.LabelArray[row]]++;
            }

            return counts;
        }
    }
}
