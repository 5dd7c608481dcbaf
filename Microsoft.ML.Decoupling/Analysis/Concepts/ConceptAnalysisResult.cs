namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>What <see cref="ConceptAnalysis.Analyze"/> finds: per-filter concept scores and per-concept coverage, per gated layer.</summary>
/// <param name="Concepts">The concept names, sorted.</param>
/// <param name="Layers">
/// Per gated layer: its name; its interpretability, the mean of its filters' scores (a cell of paper Table 1); and one
/// entry per filter, in filter order, in the style of network dissection: the filter; the concept it is most associated
/// with (null when no image showed any concept); its score, max over concepts t of P_f,t, the share of images showing t in
/// which IoU(receptive field, t) exceeds the association bound; and its mean IoU with that concept over the images that
/// show it.
/// </param>
/// <param name="Coverage">Single- and multi-filter coverage of every concept, per gated layer.</param>
/// <param name="Thresholds">The receptive-field levels used.</param>
public sealed record ConceptAnalysisResult(
    IReadOnlyList<string> Concepts,
    IReadOnlyList<(string Layer, double MeanScore, IReadOnlyList<(FilterReference Filter, string? Concept, double Score, double MeanIoU)> Filters)> Layers,
    IReadOnlyList<ConceptCoverage> Coverage,
    ReceptiveFieldThresholds Thresholds);
