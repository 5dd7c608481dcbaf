namespace Microsoft.ML.Decoupling.Analysis.Activity;

/// <summary>
/// Paper Fig. 5 for one layer: the number of filters per range of "times open". Bin 0 is [0, 0] (silent), the last bin
/// is [Images, Images] (energetic), the bins between split [1, Images − 1] into equal-width ranges.
/// </summary>
/// <param name="Layer">Layer name.</param>
/// <param name="Images">Number of inputs counted.</param>
/// <param name="Lower">Lowest "times open" of each bin (inclusive).</param>
/// <param name="Upper">Highest "times open" of each bin (inclusive).</param>
/// <param name="Filters">Number of filters in each bin.</param>
internal sealed record ActivationCountHistogram(string Layer, int Images, IReadOnlyList<int> Lower, IReadOnlyList<int> Upper, IReadOnlyList<int> Filters)
{
    internal static ActivationCountHistogram Create(string layer, IReadOnlyList<int> onCounts, int images, int dynamicBins)
    {
        // With fewer than dynamicBins + 2 distinct counts some middle bins would be empty ranges: use one per count.
        int middle = Math.Max(0, Math.Min(dynamicBins, images - 1));
        var lower = new List<int> { 0 };
        var upper = new List<int> { 0 };
        for (int b = 0; b < middle; b++)
        {
            lower.Add(1 + (int)((long)b * (images - 1) / middle));
            upper.Add((int)((long)(b + 1) * (images - 1) / middle));
        }

        if (images > 0)
        {
            lower.Add(images);
            upper.Add(images);
        }

        var filters = new int[lower.Count];
        foreach (int count in onCounts)
        {
            int bin = lower.Count - 1;
            while (lower[bin] > count)
            {
                bin--;
            }

            filters[bin]++;
        }

        return new ActivationCountHistogram(layer, images, lower, upper, filters);
    }
}
