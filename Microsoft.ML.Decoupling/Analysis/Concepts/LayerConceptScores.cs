namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>The concept scores of one gated layer's filters.</summary>
/// <param name="Layer">Layer name.</param>
/// <param name="Filters">One score per filter.</param>
public sealed record LayerConceptScores(string Layer, IReadOnlyList<FilterConceptScore> Filters)
{
    /// <summary>The layer's interpretability: the mean of its filters' scores (a cell of paper Table 1).</summary>
    public double MeanScore => Filters.Count == 0 ? 0 : Filters.Average(f => f.Score);
}
