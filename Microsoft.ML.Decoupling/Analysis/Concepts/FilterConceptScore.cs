namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>A filter's interpretability in the style of network dissection (paper Table 1).</summary>
/// <param name="Filter">The filter.</param>
/// <param name="Concept">The concept it is most associated with, or null when no image showed any concept.</param>
/// <param name="Score">max over concepts t of P_f,t, the share of images showing t in which IoU(receptive field, t) exceeds the association bound.</param>
/// <param name="MeanIoU">The mean IoU with that concept over the images that show it.</param>
public sealed record FilterConceptScore(FilterReference Filter, string? Concept, double Score, double MeanIoU);
