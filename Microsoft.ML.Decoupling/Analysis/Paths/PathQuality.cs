using System.Globalization;
using Microsoft.ML.Decoupling.Analysis.Embedding;
using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Analysis.Paths;

/// <summary>
/// What makes calculation paths useful, in one definition: how many filters depend on the input (dynamic share, per layer
/// and overall), how many different paths the inputs take, and how well the path tells the class — per layer through the
/// layer's own Lmi classifier, and for the whole path by leave-one-out k-NN (Hamming distance). A filter that is on for
/// every input or for none tells a detector, a t-SNE or a decision tree nothing; a path that does not predict the class
/// does not carry the class-specific structure the paper interprets (§4.2–4.3).
/// </summary>
public sealed class PathQuality
{
    private PathQuality(int paths, int distinct, IReadOnlyList<LayerFilterStates> layers, IReadOnlyList<double> classifierAccuracies, double neighborAccuracy, int neighbors, int neighborSamples)
    {
        Paths = paths;
        DistinctPaths = distinct;
        Layers = layers;
        LayerClassifierAccuracies = classifierAccuracies;
        WholePathNeighborAccuracy = neighborAccuracy;
        Neighbors = neighbors;
        NeighborSamples = neighborSamples;
    }

    /// <summary>Number of paths (inputs).</summary>
    public int Paths { get; }

    /// <summary>Number of different paths among them.</summary>
    public int DistinctPaths { get; }

    /// <summary>Per gated layer, in path order: energetic, silent and dynamic filters (<see cref="FilterStateAnalysis.PerLayer"/>).</summary>
    public IReadOnlyList<LayerFilterStates> Layers { get; }

    /// <summary>
    /// Per gated layer, in path order, the accuracy of the layer's own path classifier (W_cla of Lmi, trained with the
    /// network) on the layer's gates: how much of the class that part of the path carries. NaN where the paths were not
    /// given with their network.
    /// </summary>
    public IReadOnlyList<double> LayerClassifierAccuracies { get; }

    /// <summary>Gated filters in all.</summary>
    public int Filters => Layers.Sum(l => l.Filters);

    /// <summary>Dynamic filters in all.</summary>
    public int DynamicFilters => Layers.Sum(l => l.States.Dynamic);

    /// <summary>Share of all gated filters that are dynamic.</summary>
    public double DynamicShare => Filters == 0 ? 0 : (double)DynamicFilters / Filters;

    /// <summary>Mean over layers of <see cref="LayerClassifierAccuracies"/> (NaN without the network).</summary>
    public double MeanClassifierAccuracy => LayerClassifierAccuracies.Count == 0 ? double.NaN : LayerClassifierAccuracies.Average();

    /// <summary>Leave-one-out k-NN accuracy of the class from the whole path (NaN when k-NN was not asked for).</summary>
    public double WholePathNeighborAccuracy { get; }

    /// <summary>k of <see cref="WholePathNeighborAccuracy"/> (0 when it was not computed).</summary>
    public int Neighbors { get; }

    /// <summary>Paths the k-NN used (a seeded sample of at most the requested number).</summary>
    public int NeighborSamples { get; }

    /// <summary>
    /// Measures <paramref name="paths"/>; with <paramref name="network"/> (the network that made them), also each layer's
    /// path-classifier accuracy.
    /// </summary>
    /// <param name="paths">The paths and classes (e.g. <see cref="PathSet.Read"/> on held-out data).</param>
    /// <param name="network">The gated network that produced the paths, or null to skip the classifier accuracies.</param>
    /// <param name="neighbors">k of the whole-path k-NN, at least 1; 0 skips it (its cost grows with the square of the sample).</param>
    /// <param name="maxSamples">At most this many paths (a seeded sample) go into the k-NN; at least 2.</param>
    /// <param name="seed">Seed of that sample.</param>
    public static PathQuality Compute(PathSet paths, DecoupledNetwork? network = null, int neighbors = 5, int maxSamples = 5000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfNegative(neighbors);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSamples, 2);
        paths.RequireLayers();
        if (network is not null && network.Description.PathLayout.PathLength != paths.Layout.PathLength)
        {
            throw new ArgumentException($"The network's paths have {network.Description.PathLayout.PathLength} bits; these have {paths.Layout.PathLength}.", nameof(network));
        }

        if (network is { IsCompact: true })
        {
            throw new ArgumentException("A compact network has no path classifiers (W_cla); pass the gated network it came from, or null to skip the layer classifiers.", nameof(network));
        }

        if (neighbors > 0 && paths.Count < 2)
        {
            throw new ArgumentException("The whole-path k-NN needs at least two paths; pass neighbors 0 to skip it.", nameof(paths));
        }

        int length = paths.Layout.PathLength;
        var all = paths.AllPaths;
        var distinct = new HashSet<string>();
        var bits = new char[length];
        for (int row = 0; row < paths.Count; row++)
        {
            var path = all.Slice(row * length, length);
            for (int i = 0; i < length; i++)
            {
                bits[i] = path[i] > 0.5f ? '1' : '0';
            }

            distinct.Add(new string(bits));
        }

        var layers = FilterStateAnalysis.PerLayer(all, paths.Count, paths.Layout);
        double[] accuracies = network is null ? [.. Enumerable.Repeat(double.NaN, layers.Count)] : ClassifierAccuracies(network, paths);
        if (neighbors == 0)
        {
            return new PathQuality(paths.Count, distinct.Count, layers, accuracies, double.NaN, 0, 0);
        }

        var separability = PathSeparability.WholePathOnly(paths, neighbors, maxSamples, seed, out int samples);
        return new PathQuality(paths.Count, distinct.Count, layers, accuracies, separability, neighbors, samples);
    }

    /// <summary>One line for logs: dynamic share, distinct paths, mean layer-classifier accuracy and whole-path k-NN.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{DynamicFilters} of {Filters} filters dynamic ({DynamicShare:P1}), {DistinctPaths} distinct paths of {Paths}, layer classifiers {MeanClassifierAccuracy:P1}, whole-path {Neighbors}-NN {WholePathNeighborAccuracy:P1}");

    /// <summary>Per gated layer, the share of paths whose class is the argmax of W_cla^l z^l.</summary>
    private static double[] ClassifierAccuracies(DecoupledNetwork network, PathSet paths)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var classifiers = network.Program.PathClassifiers;
        int length = paths.Layout.PathLength;
        var labels = tensor(paths.LabelArray, int64);
        var all = tensor(paths.AllPaths.ToArray(), new long[] { paths.Count, length });
        var result = new double[paths.Layout.Layers.Count];
        for (int l = 0; l < result.Length; l++)
        {
            var layer = paths.Layout.Layers[l];
            var weight = classifiers[l].weight!.detach().cpu();
            var logits = all.narrow(1, layer.PathOffset, layer.Filters).matmul(weight.t());
            result[l] = logits.argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
        }

        return result;
    }
}
