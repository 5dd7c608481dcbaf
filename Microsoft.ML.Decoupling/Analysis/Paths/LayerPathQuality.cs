namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>Path quality of one gated layer (see <see cref="PathQuality"/>).</summary>
/// <param name="Layer">Gated layer name.</param>
/// <param name="Filters">Filters of the layer.</param>
/// <param name="Dynamic">Filters on for some inputs and off for others.</param>
/// <param name="Energetic">Filters on for every input.</param>
/// <param name="Silent">Filters off for every input.</param>
/// <param name="ClassifierAccuracy">
/// Accuracy of the layer's own path classifier (W_cla of Lmi, trained with the network) on the layer's gates: how much of
/// the class the layer's part of the path carries; NaN where the paths were not given with their network.
/// </param>
public sealed record LayerPathQuality(string Layer, int Filters, int Dynamic, int Energetic, int Silent, double ClassifierAccuracy)
{
    /// <summary>Share of the layer's filters that are dynamic.</summary>
    public double DynamicShare => Filters == 0 ? 0 : (double)Dynamic / Filters;
}
