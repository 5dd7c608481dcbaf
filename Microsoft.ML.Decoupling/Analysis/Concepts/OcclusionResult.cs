namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>How the calculation path of one image changes when a region of it is occluded (paper Figs. 7 and 8).</summary>
/// <param name="SwitchedOff">Filters open on the image and closed on the occluded image.</param>
/// <param name="SwitchedOn">Filters closed on the image and open on the occluded image.</param>
/// <param name="ReceptiveFieldIoU">IoU of the union of the switched-off filters' receptive fields (on the original image) with the occluded region; 0 when none switched off.</param>
/// <param name="SwitchedOffField">That union: H×W, row-major, true inside.</param>
public sealed record OcclusionResult(IReadOnlyList<FilterReference> SwitchedOff, IReadOnlyList<FilterReference> SwitchedOn, double ReceptiveFieldIoU, IReadOnlyList<bool> SwitchedOffField);
