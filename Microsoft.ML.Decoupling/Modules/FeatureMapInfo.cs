using Microsoft.ML.Decoupling.Analysis;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>What a network's builder knows about one feature map of its forward program.</summary>
/// <param name="Channels">Number of channels (in a compact program: the channels compaction kept).</param>
/// <param name="Segments">Its channels in runs, each with the gate that masks it (what FLOPs counting skips).</param>
/// <param name="KeepsEveryChannel">
/// Whether the map must keep every channel when the network is compacted: it is read by a residual sum or an option-A
/// shortcut, or a max-pool or concatenation made of it is.
/// </param>
internal sealed record FeatureMapInfo(int Channels, IReadOnlyList<ChannelSegment> Segments, bool KeepsEveryChannel);
