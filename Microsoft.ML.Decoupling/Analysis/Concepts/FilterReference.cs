namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>One filter of a gated layer.</summary>
/// <param name="LayerIndex">Index of the gated layer in the path layout.</param>
/// <param name="Layer">Layer name.</param>
/// <param name="Filter">Filter index within the layer.</param>
public readonly record struct FilterReference(int LayerIndex, string Layer, int Filter)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Layer}#{Filter}";
}
