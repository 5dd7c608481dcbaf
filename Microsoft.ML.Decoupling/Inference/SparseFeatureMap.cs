using Microsoft.ML.Decoupling.Native;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Inference;

/// <summary>
/// A feature map of one image during skipping inference: only the channels that can be non-zero are stored. Every other
/// channel of the full map is exactly 0 (a closed filter's masked output, a removed filter of a compact network, a
/// zero-padded shortcut channel), as it is in the masked forward pass.
/// </summary>
/// <param name="Values">The stored channels [1, Channels.Length, h, w], or every channel [1, Width, h, w] when <paramref name="Channels"/> is null.</param>
/// <param name="Channels">Ascending indices in the full map of the stored channels; null: the map is stored whole.</param>
/// <param name="Width">Channels of the full map.</param>
internal sealed record SparseFeatureMap(Tensor Values, long[]? Channels, int Width)
{
    /// <summary>A map stored whole.</summary>
    public static SparseFeatureMap Dense(Tensor values) => new(values, null, (int)values.shape[1]);

    /// <summary>The full map, zero channels included [1, Width, h, w].</summary>
    public Tensor ToDense()
    {
        if (Channels is null)
        {
            return Values;
        }

        var full = zeros(new long[] { 1, Width, Values.shape[2], Values.shape[3] }, device: Values.device);
        using var index = tensor(Channels, device: Values.device);
        return full.index_copy_(1, index, Values);
    }

    /// <summary>GAP of the full map [1, Width]: the stored channels' means, 0 elsewhere.</summary>
    public Tensor Pooled()
    {
        var pooled = Values.mean(new long[] { 2, 3 });
        if (Channels is null)
        {
            return pooled;
        }

        var full = zeros(new long[] { 1, Width }, device: Values.device);
        using var index = tensor(Channels, device: Values.device);
        return full.index_copy_(1, index, pooled);
    }

    /// <summary>The same channels after a per-channel operation such as max-pooling.</summary>
    public SparseFeatureMap With(Tensor values) => this with { Values = values };

    /// <summary>ReLU(a + b): the stored channels of the sum are the union of both sides' (a residual sum).</summary>
    public static SparseFeatureMap AddRelu(SparseFeatureMap a, SparseFeatureMap b)
    {
        if (a.Width != b.Width)
        {
            throw new InvalidOperationException($"A residual sum of {a.Width} and {b.Width} channels.");
        }

        if (a.Channels is null || b.Channels is null)
        {
            return Dense(nn.functional.relu(RootedScalars.Sum(a.ToDense(), b.ToDense()), inplace: true));
        }

        long[] union = a.Channels.Union(b.Channels).Order().ToArray();
        var sum = zeros(new long[] { 1, union.Length, a.Values.shape[2], a.Values.shape[3] }, device: a.Values.device);
        using var aIndex = tensor(a.Channels.Select(c => (long)Array.BinarySearch(union, c)).ToArray(), device: sum.device);
        using var bIndex = tensor(b.Channels.Select(c => (long)Array.BinarySearch(union, c)).ToArray(), device: sum.device);
        sum.index_add_(1, aIndex, a.Values, RootedScalars.One).index_add_(1, bIndex, b.Values, RootedScalars.One);
        return new SparseFeatureMap(nn.functional.relu(sum, inplace: true), union, a.Width);
    }

    /// <summary>The maps concatenated along the channels (inception blocks).</summary>
    public static SparseFeatureMap Concatenate(IReadOnlyList<SparseFeatureMap> maps)
    {
        var values = cat(maps.Select(m => m.Values).ToArray(), 1);
        if (maps.All(m => m.Channels is null))
        {
            return Dense(values);
        }

        var channels = new List<long>();
        int offset = 0;
        foreach (var map in maps)
        {
            channels.AddRange(map.Channels?.Select(c => c + offset) ?? Enumerable.Range(offset, map.Width).Select(c => (long)c));
            offset += map.Width;
        }

        return new SparseFeatureMap(values, channels.ToArray(), offset);
    }

    /// <summary>He et al.'s option-A shortcut: subsampled, <paramref name="padChannels"/> zero channels before and after (not stored).</summary>
    public SparseFeatureMap ZeroPadShortcut(int stride, int padChannels)
    {
        var subsampled = Values.index(TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, stride), TensorIndex.Slice(null, null, stride));
        long[] channels = Channels?.Select(c => c + padChannels).ToArray() ?? Enumerable.Range(padChannels, Width).Select(c => (long)c).ToArray();
        return new SparseFeatureMap(subsampled, channels, Width + (2 * padChannels));
    }
}
