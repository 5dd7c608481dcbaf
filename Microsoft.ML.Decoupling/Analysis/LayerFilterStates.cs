namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>The filter states of one gated layer over a data set.</summary>
/// <param name="Layer">Layer name, as in the path layout.</param>
/// <param name="Filters">Number of filters (gates) of the layer.</param>
/// <param name="States">Energetic, silent and dynamic filter counts.</param>
/// <param name="ActiveRatio">Mean share of the layer's filters that are on per input.</param>
public sealed record LayerFilterStates(string Layer, int Filters, FilterStateCounts States, double ActiveRatio);
