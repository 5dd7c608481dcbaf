namespace Microsoft.ML.Decoupling.Analysis.Clustering;

/// <summary>A group of inputs in a <see cref="PathDecisionTree"/>: split in two at one layer, or a leaf.</summary>
public sealed class PathTreeNode
{
    internal PathTreeNode(int[] rows, int[] classCounts, int? splitLayer, string? splitLayerName, double? hopkins, IReadOnlyList<PathTreeNode> children)
    {
        Rows = rows;
        ClassCounts = classCounts;
        SplitLayer = splitLayer;
        SplitLayerName = splitLayerName;
        Hopkins = hopkins;
        Children = children;
    }

    /// <summary>Indices (into the <see cref="Paths.PathSet"/>) of the inputs in this group.</summary>
    public IReadOnlyList<int> Rows { get; }

    /// <summary>Number of inputs of each class in this group.</summary>
    public IReadOnlyList<int> ClassCounts { get; }

    /// <summary>Index of the gated layer at which the group splits, or null for a leaf.</summary>
    public int? SplitLayer { get; }

    /// <summary>Name of that layer, or null for a leaf.</summary>
    public string? SplitLayerName { get; }

    /// <summary>Hopkins statistic of the group's gate vectors at the split layer, or null for a leaf.</summary>
    public double? Hopkins { get; }

    /// <summary>The two k-means groups of a split, none for a leaf.</summary>
    public IReadOnlyList<PathTreeNode> Children { get; }

    /// <summary>The class with most inputs in this group (the lower index on a tie).</summary>
    public int MajorityClass
    {
        get
        {
            int best = 0;
            for (int c = 1; c < ClassCounts.Count; c++)
            {
                best = ClassCounts[c] > ClassCounts[best] ? c : best;
            }

            return best;
        }
    }
}
