using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>
/// Per-image FLOPs, counted as multiply-accumulates of every conv and linear layer. For a gated network and a path,
/// a conv costs k²·(active inputs)·(active filters)·H·W: a closed filter is not computed and its zero output channel
/// is skipped by every conv that reads it (also through max-pools and inception concatenations; never through a residual
/// sum, which is dense). Each gate adds its two fully connected layers (C·C/γ + C/γ·N). BatchNorm (foldable),
/// ReLU, pooling, GAP and the training-only path classifiers are not counted.
/// </summary>
internal static class FlopsCounter
{
    /// <summary>FLOPs of the dense network of <paramref name="network"/>'s architecture (same layers, no gates).</summary>
    public static long Dense(DecoupledNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return Dense(network.Description);
    }

    /// <summary>FLOPs of <paramref name="network"/> for one image whose calculation path is <paramref name="path"/> (0/1 values).</summary>
    public static long ForPath(DecoupledNetwork network, ReadOnlySpan<float> path)
    {
        ArgumentNullException.ThrowIfNull(network);
        return ForPath(network.Description, path);
    }

    /// <summary>FLOPs of the dense network (same layers, no gates).</summary>
    internal static long Dense(NetworkDescription network) =>
        network.Convolutions.Sum(c => c.MultiplyAccumulates(c.InputChannels, c.Filters)) + Head(network);

    /// <summary>FLOPs of the gated network for one image whose calculation path is <paramref name="path"/> (0/1 values).</summary>
    internal static long ForPath(NetworkDescription network, ReadOnlySpan<float> path)
    {
        var layout = network.PathLayout;
        if (path.Length != layout.PathLength)
        {
            throw new ArgumentException($"The path has {path.Length} values; this network's paths have {layout.PathLength}.", nameof(path));
        }

        Paths.PathValues.RequireBinary(path, layout.PathLength, nameof(path));

        long total = Head(network);
        foreach (var conv in network.Convolutions)
        {
            int inputs = 0;
            foreach (var segment in conv.InputSegments)
            {
                inputs += segment.GateIndex < 0 ? segment.Channels : ActiveCount(layout.Layers[segment.GateIndex], path);
            }

            int filters = conv.GateIndex < 0 ? conv.Filters : ActiveCount(layout.Layers[conv.GateIndex], path);
            total += conv.MultiplyAccumulates(inputs, filters);
        }

        return total + layout.Layers.Sum(l => l.GateFlops);
    }

    private static long Head(NetworkDescription network) => (long)network.HeadInputs * network.Classes;

    private static int ActiveCount(GatedLayerInfo layer, ReadOnlySpan<float> path)
    {
        int count = 0;
        foreach (float bit in path.Slice(layer.PathOffset, layer.Filters))
        {
            if (bit > 0.5f)
            {
                count++;
            }
        }

        return count;
    }
}
