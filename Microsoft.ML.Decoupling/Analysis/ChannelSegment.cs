namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>
/// A run of consecutive channels of a feature map and the gate that masks them. A conv reading the feature map can
/// skip the closed channels of every masked segment (FLOPs counting).
/// </summary>
/// <param name="Channels">Number of channels in the run.</param>
/// <param name="GateIndex">Index of the gate (in the path layout) whose mask zeroes these channels, or -1 when they are never masked.</param>
internal sealed record ChannelSegment(int Channels, int GateIndex);
