using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>
/// Puts the channels a compact conv kept back at their places in the full-width feature map, with zero channels for the
/// removed ones: a residual sum adds the two sides channel by channel, so its inputs keep every channel.
/// </summary>
/// <param name="Source">For each channel of the full map, the compact channel it holds, or the compact width (the
/// appended zero channel) for a removed one.</param>
internal sealed record ChannelScatter(long[] Source)
{
    /// <summary>Builds the scatter of a map of <paramref name="channels"/> channels of which <paramref name="kept"/> (ascending) remain.</summary>
    public static ChannelScatter Of(int channels, IReadOnlyList<long> kept)
    {
        var source = Enumerable.Repeat((long)kept.Count, channels).ToArray();
        for (int j = 0; j < kept.Count; j++)
        {
            source[kept[j]] = j;
        }

        return new ChannelScatter(source);
    }

    /// <summary>[B, kept, H, W] → [B, full, H, W]: one zero channel appended, then the channels gathered.</summary>
    public Tensor Apply(Tensor compact)
    {
        var padded = nn.functional.pad(compact, new long[] { 0, 0, 0, 0, 0, 1 });
        using var index = tensor(Source, device: compact.device);
        return padded.index_select(1, index);
    }
}
