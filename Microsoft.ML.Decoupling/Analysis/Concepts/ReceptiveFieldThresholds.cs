namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>
/// Per gated filter, the activation level above which its upsampled activation map counts as its receptive field
/// (network dissection's top-quantile level), measured on a set of images by <see cref="ConceptAnalysis.Calibrate"/>.
/// </summary>
public sealed class ReceptiveFieldThresholds
{
    private readonly float[][] _levels;

    internal ReceptiveFieldThresholds(float[][] levels, double topQuantile)
    {
        _levels = levels;
        TopQuantile = topQuantile;
    }

    /// <summary>The share of activations above each level.</summary>
    public double TopQuantile { get; }

    /// <summary>The level of filter <paramref name="filter"/> of gated layer <paramref name="layerIndex"/>.</summary>
    public float Level(int layerIndex, int filter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layerIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layerIndex, _levels.Length);
        ArgumentOutOfRangeException.ThrowIfNegative(filter);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(filter, _levels[layerIndex].Length);
        return _levels[layerIndex][filter];
    }

    internal float[] Layer(int layerIndex) => _levels[layerIndex];

    internal int LayerCount => _levels.Length;
}
