using TorchSharp.Modules;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>The forward program of a network: its steps over numbered feature maps, its conv units and its head.</summary>
/// <param name="Steps">Steps in forward order.</param>
/// <param name="Units">Every conv unit in forward order.</param>
/// <param name="FeatureMapCount">Number of feature maps (map 0 is the normalised input).</param>
/// <param name="Output">The feature map that global average pooling and the head read.</param>
/// <param name="Head">The linear classifier.</param>
/// <param name="PathClassifiers">W_cla of each gated layer, in path order (for Lmi).</param>
internal sealed record NetworkProgram(
    IReadOnlyList<NetworkStep> Steps,
    IReadOnlyList<ConvolutionUnit> Units,
    int FeatureMapCount,
    int Output,
    Linear Head,
    IReadOnlyList<Linear> PathClassifiers);
