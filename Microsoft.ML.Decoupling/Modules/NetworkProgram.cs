using TorchSharp.Modules;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// The forward program of a network: its steps over numbered feature maps, what its builder knew about each map, its
/// conv units and its head. Interpreters implement <see cref="INetworkStepVisitor{TMap}"/>.
/// </summary>
/// <param name="Steps">Steps in forward order.</param>
/// <param name="Units">Every conv unit in forward order.</param>
/// <param name="Maps">Every feature map (map 0 is the normalised input): channels, size, gate segments.</param>
/// <param name="Output">The feature map that global average pooling and the head read.</param>
/// <param name="Head">The linear classifier.</param>
/// <param name="PathClassifiers">W_cla of each gated layer, in path order (for Lmi).</param>
internal sealed record NetworkProgram(
    IReadOnlyList<NetworkStep> Steps,
    IReadOnlyList<ConvolutionUnit> Units,
    IReadOnlyList<FeatureMapInfo> Maps,
    int Output,
    Linear Head,
    IReadOnlyList<Linear> PathClassifiers)
{
    /// <summary>The feature map of the (normalised) input image.</summary>
    public const int Image = 0;
}
