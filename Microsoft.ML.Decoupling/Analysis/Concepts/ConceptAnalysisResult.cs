namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>What <see cref="ConceptAnalysis.Analyze"/> finds: per-filter concept scores and per-concept coverage, per gated layer.</summary>
/// <param name="Concepts">The concept names, sorted.</param>
/// <param name="Layers">Concept scores of every gated layer's filters.</param>
/// <param name="Coverage">Single- and multi-filter coverage of every concept, per gated layer.</param>
/// <param name="Thresholds">The receptive-field levels used.</param>
public sealed record ConceptAnalysisResult(
    IReadOnlyList<string> Concepts,
    IReadOnlyList<LayerConceptScores> Layers,
    IReadOnlyList<ConceptCoverage> Coverage,
    ReceptiveFieldThresholds Thresholds);
