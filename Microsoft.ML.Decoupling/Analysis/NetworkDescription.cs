using Microsoft.ML.Decoupling.Modules;
namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>Everything needed to count a network's multiply-accumulates: its convs, its gates and its linear head.</summary>
/// <param name="Convolutions">Conv layers in forward order.</param>
/// <param name="PathLayout">The gated layers and their path bits.</param>
/// <param name="HeadInputs">Inputs of the linear classifier (after global average pooling).</param>
/// <param name="Classes">Number of classes K.</param>
internal sealed record NetworkDescription(
    IReadOnlyList<ConvLayerGeometry> Convolutions,
    CalculationPathLayout PathLayout,
    int HeadInputs,
    int Classes);
