using Microsoft.ML.Decoupling.Analysis.Paths;

using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>
/// Paper Fig. 3: the whole calculation paths projected by PCA and then by t-SNE to 2-D coordinates, one point per input.
/// </summary>
/// <remarks>
/// Deviations from the paper: PCA keeps <see cref="TsneOptions.PcaDimensions"/> (default 50, the paper 300) components,
/// and t-SNE is exact on a seeded sample of at most <see cref="TsneOptions.MaxSamples"/> paths (the paper does not say
/// which t-SNE it ran nor on how many points).
/// </remarks>
public sealed class PathEmbedding
{
    private PathEmbedding(IReadOnlyList<(int Row, int Label, float X, float Y)> points, IReadOnlyList<string> classNames, double accuracy)
    {
        Points = points;
        ClassNames = classNames;
        NeighborAccuracy = accuracy;
    }

    /// <summary>The embedded paths, in ascending row order: the row of the path set, its class label and its 2-D t-SNE coordinates.</summary>
    public IReadOnlyList<(int Row, int Label, float X, float Y)> Points { get; }

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Leave-one-out 5-NN accuracy of the class from the 2-D coordinates: how well the picture separates the classes.</summary>
    public double NeighborAccuracy { get; }

    /// <summary>Embeds the paths of <paramref name="paths"/> (whole paths, all gated layers).</summary>
    /// <param name="paths">The paths and classes.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="progress">Receives "t-SNE" progress every 50 steps.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public static PathEmbedding Compute(PathSet paths, TsneOptions? options = null, IProgress<AnalysisProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        options ??= new TsneOptions();
        options.Validate();
        paths.RequireLayers();
        if (paths.Count < 3)
        {
            throw new ArgumentException("t-SNE needs at least three paths.", nameof(paths));
        }

        var rows = SampleSelection.Choose(paths.Count, options.MaxSamples, options.Seed);
        var points = SampleSelection.Gather(paths.AllPaths, paths.Layout.PathLength, rows);
        var coordinates = Embed(points, rows.Length, paths.Layout.PathLength, options, progress, cancellationToken);
        var labels = rows.Select(r => paths.LabelArray[r]).ToArray();
        var embedded = rows.Select((row, i) => (row, labels[i], coordinates[2 * i], coordinates[(2 * i) + 1])).ToArray();
        double accuracy = NearestNeighborVote.LeaveOneOutAccuracy(coordinates, rows.Length, 2, labels, paths.ClassCount, 5);
        return new PathEmbedding(embedded, paths.ClassNames, accuracy);
    }

    /// <summary>PCA to at most <see cref="TsneOptions.PcaDimensions"/> dimensions, then t-SNE; returns count × 2 values.</summary>
    internal static float[] Embed(float[] points, int count, int width, TsneOptions options, IProgress<AnalysisProgress>? progress, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(points, new long[] { count, width }).to_type(float64);
        var reduced = PrincipalComponents.Project(x, options.PcaDimensions).contiguous();
        var values = reduced.data<double>().ToArray();
        return Tsne.Embed(values, count, (int)reduced.shape[1], options, progress, cancellationToken);
    }
}
