namespace Microsoft.ML.Decoupling.Analysis.Clustering;

/// <summary>Settings of <see cref="PathDecisionTree.Build"/>: when a group of paths is split (Hopkins threshold, smallest group), the Hopkins sample size and the seed.</summary>
public sealed class PathTreeOptions
{
    /// <summary>A node is split at a layer when the Hopkins statistic of its gate vectors there exceeds this. Default 0.75.</summary>
    public double HopkinsThreshold { get; set; } = 0.75;

    /// <summary>Nodes with fewer inputs are not split. Default 10.</summary>
    public int MinimumNodeSize { get; set; } = 10;

    /// <summary>Sampled and reference vectors per Hopkins statistic. Default 100.</summary>
    public int HopkinsSamples { get; set; } = 100;

    /// <summary>Seed of the Hopkins samples and of k-means. Default 0.</summary>
    public int Seed { get; set; }

    internal void Validate()
    {
        if (!(HopkinsThreshold is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException($"{nameof(PathTreeOptions)}.{nameof(HopkinsThreshold)}", HopkinsThreshold, "Expected a threshold in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MinimumNodeSize, 2, $"{nameof(PathTreeOptions)}.{nameof(MinimumNodeSize)}");
        ArgumentOutOfRangeException.ThrowIfLessThan(HopkinsSamples, 1, $"{nameof(PathTreeOptions)}.{nameof(HopkinsSamples)}");
    }
}
