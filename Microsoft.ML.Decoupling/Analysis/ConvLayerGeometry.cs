namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>Shape facts of one conv layer, enough to count its multiply-accumulates for any path.</summary>
/// <param name="Name">Layer name: the conv's key in the state dict without <c>.weight</c> (<c>features.0</c>, <c>layer1.0.conv1</c> …).</param>
/// <param name="InputChannels">Input channels.</param>
/// <param name="Filters">Output filters.</param>
/// <param name="KernelSize">Square kernel size.</param>
/// <param name="OutputHeight">Output height.</param>
/// <param name="OutputWidth">Output width.</param>
/// <param name="GateIndex">Index of this layer's gate in the path layout, or -1 when the layer is not gated.</param>
/// <param name="InputSegments">The input channels in order, each run with the gate that masks it (-1: unmasked); they add up to <paramref name="InputChannels"/>.</param>
internal sealed record ConvLayerGeometry(
    string Name,
    int InputChannels,
    int Filters,
    int KernelSize,
    int OutputHeight,
    int OutputWidth,
    int GateIndex,
    IReadOnlyList<ChannelSegment> InputSegments)
{
    /// <summary>Multiply-accumulates for one image with the given numbers of active input channels and filters.</summary>
    public long MultiplyAccumulates(int activeInputs, int activeFilters) =>
        (long)KernelSize * KernelSize * activeInputs * activeFilters * OutputHeight * OutputWidth;
}
