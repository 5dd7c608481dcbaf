namespace Microsoft.ML.Decoupling.Analysis.Activity;

/// <summary>
/// How often each filter of one gated layer is open over a data set, overall and per class (paper Figs. 4 and 5).
/// </summary>
public sealed class LayerActivity
{
    private readonly int[] _onCounts;
    private readonly int[] _classOnCounts;
    private readonly int[] _classImages;

    internal LayerActivity(string layer, int images, int[] onCounts, int[] classOnCounts, int[] classImages)
    {
        Layer = layer;
        Images = images;
        _onCounts = onCounts;
        _classOnCounts = classOnCounts;
        _classImages = classImages;
        int energetic = onCounts.Count(c => c == images), silent = onCounts.Count(c => c == 0);
        States = new FilterStateCounts(energetic, silent, onCounts.Length - energetic - silent);
        ActiveRatio = (double)onCounts.Sum(c => (long)c) / ((long)images * onCounts.Length);
    }

    /// <summary>Layer name, as in the path layout.</summary>
    public string Layer { get; }

    /// <summary>Number of filters (gates) of the layer.</summary>
    public int Filters => _onCounts.Length;

    /// <summary>Number of inputs counted.</summary>
    public int Images { get; }

    /// <summary>Energetic (open for every input), silent (never open) and dynamic filter counts.</summary>
    public FilterStateCounts States { get; }

    /// <summary>Mean share of the layer's filters that are open per input.</summary>
    public double ActiveRatio { get; }

    /// <summary>For each filter, the number of inputs it is open for (in [0, <see cref="Images"/>]).</summary>
    public IReadOnlyList<int> OnCounts => _onCounts;

    /// <summary>Number of inputs of class <paramref name="label"/>.</summary>
    public int ImagesOfClass(int label) => _classImages[CheckClass(label)];

    /// <summary>Number of inputs of class <paramref name="label"/> that filter <paramref name="filter"/> is open for.</summary>
    public int OnCount(int filter, int label)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(filter);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(filter, Filters);
        return _classOnCounts[(CheckClass(label) * Filters) + filter];
    }

    /// <summary>Share of the inputs of class <paramref name="label"/> that filter <paramref name="filter"/> is open for (NaN for a class without inputs).</summary>
    public double OnRate(int filter, int label)
    {
        int images = ImagesOfClass(label);
        return images == 0 ? double.NaN : (double)OnCount(filter, label) / images;
    }

    /// <summary>The filter state of <paramref name="filter"/> over the data set.</summary>
    public FilterState StateOf(int filter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(filter);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(filter, Filters);
        int on = _onCounts[filter];
        return on == Images ? FilterState.Energetic : on == 0 ? FilterState.Silent : FilterState.Dynamic;
    }

    /// <summary>
    /// Paper Fig. 5: how many filters are open for how many inputs. Bin 0 counts the silent filters (open 0 times), the
    /// last bin the energetic ones (open every time), and <paramref name="dynamicBins"/> equal-width bins in between
    /// cover 1 … Images − 1.
    /// </summary>
    /// <param name="dynamicBins">Number of bins for the dynamic filters, at least 1.</param>
    /// <returns>One entry per bin: its lowest and highest "times open" (both inclusive) and its number of filters.</returns>
    public IReadOnlyList<(int Lower, int Upper, int Filters)> Histogram(int dynamicBins = 10)
    {
        var histogram = HistogramOf(dynamicBins);
        return histogram.Filters.Select((filters, bin) => (histogram.Lower[bin], histogram.Upper[bin], filters)).ToArray();
    }

    /// <summary><see cref="Histogram"/> with the layer name and image count, as the report draws it.</summary>
    internal ActivationCountHistogram HistogramOf(int dynamicBins = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dynamicBins, 1);
        return ActivationCountHistogram.Create(Layer, _onCounts, Images, dynamicBins);
    }

    /// <summary>The <see cref="LayerFilterStates"/> summary of this layer.</summary>
    public LayerFilterStates ToFilterStates() => new(Layer, Filters, States, ActiveRatio);

    private int CheckClass(int label)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(label);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(label, _classImages.Length);
        return label;
    }
}
