using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>
/// Concepts and occlusion (paper §4.2, Figs. 6–8, Table 1) on images with concept masks, e.g. the part masks of the
/// generated shapes (<see cref="ConceptImage.FromShapes"/>): receptive fields of filters (activation map upsampled
/// bilinearly to the input, top-quantile threshold), their IoU with concept masks, network-dissection-style scores, and
/// the filters that switch off when a concept is occluded.
/// </summary>
/// <remarks>
/// Deviations: thresholds are measured on the analysed images (network dissection uses its whole data set); the
/// single-filter coverage is the best filter's IoU averaged over images (the paper takes the maximum over images and
/// filters, which is not comparable with the multi-filter IoU it averages over images); every filter of every gated
/// layer is analysed (the paper picks some layers).
/// </remarks>
public static class ConceptAnalysis
{
    /// <summary>Measures each gated filter's receptive-field level on <paramref name="images"/>.</summary>
    /// <param name="network">A gated network.</param>
    /// <param name="images">Images of the network's input size.</param>
    /// <param name="topQuantile">Share of a filter's activations above its level. Default 0.005.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="progress">Receives "thresholds" progress per batch.</param>
    public static ReceptiveFieldThresholds Calibrate(DecoupledNetwork network, IReadOnlyList<ConceptImage> images, double topQuantile = 0.005, int batchSize = 64, IProgress<AnalysisProgress>? progress = null)
    {
        Check(network, images);
        var options = new ConceptOptions { TopQuantile = topQuantile, BatchSize = batchSize };
        options.Validate();
        var levels = GatedActivations.Evaluate(network, () => GatedActivations.Thresholds(network, images, topQuantile, batchSize, progress));
        return new ReceptiveFieldThresholds(levels, topQuantile);
    }

    /// <summary>The receptive field of one filter on one image: H×W, row-major, true inside.</summary>
    public static bool[] ReceptiveField(DecoupledNetwork network, ConceptImage image, FilterReference filter, ReceptiveFieldThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(thresholds);
        Check(network, [image]);
        CheckFilter(network, filter);
        return GatedActivations.Evaluate(network, () =>
        {
            using var scope = NewDisposeScope();
            var (_, maps) = GatedActivations.Forward(network, image.PixelArray, 1);
            var fields = GatedActivations.ReceptiveFields(maps[filter.LayerIndex], tensor(thresholds.Layer(filter.LayerIndex)), network.Height, network.Width);
            return fields[0, filter.Filter].contiguous().data<bool>().ToArray();
        });
    }

    /// <summary>
    /// Occludes <paramref name="concept"/> in <paramref name="image"/> (its mask filled with <paramref name="fill"/>) and
    /// lists the filters that switch off and on (paper Figs. 7 and 8).
    /// </summary>
    /// <returns>
    /// The filters open on the image and closed on the occluded image (<c>SwitchedOff</c>), those closed on the image and
    /// open on the occluded one (<c>SwitchedOn</c>), the IoU of the union of the switched-off filters' receptive fields (on
    /// the original image) with the occluded region (0 when none switched off), and that union (<c>SwitchedOffField</c>:
    /// H×W, row-major, true inside).
    /// </returns>
    /// <exception cref="ArgumentException">The image shows no such concept.</exception>
    public static (IReadOnlyList<FilterReference> SwitchedOff, IReadOnlyList<FilterReference> SwitchedOn, double ReceptiveFieldIoU, IReadOnlyList<bool> SwitchedOffField) Occlude(DecoupledNetwork network, ConceptImage image, string concept, ReceptiveFieldThresholds thresholds, float fill = 0f)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(thresholds);
        Check(network, [image]);
        var mask = image.MaskList.FirstOrDefault(m => m.Concept == concept)
            ?? throw new ArgumentException($"The image shows no concept '{concept}'; it shows {string.Join(", ", image.MaskList.Select(m => m.Concept))}.", nameof(concept));
        var layout = network.Description.PathLayout;
        return GatedActivations.Evaluate(network, () =>
        {
            using var scope = NewDisposeScope();
            var (path, maps) = GatedActivations.Forward(network, image.PixelArray, 1);
            var occluded = image.PixelArray.ToArray();
            GatedActivations.Occlude(occluded, mask.PixelArray, fill);
            var (occludedPath, _) = GatedActivations.Forward(network, occluded, 1);
            var before = path[0].contiguous().data<float>().ToArray();
            var after = occludedPath[0].contiguous().data<float>().ToArray();
            var off = new List<FilterReference>();
            var on = new List<FilterReference>();
            var union = new bool[network.Height * network.Width];
            for (int l = 0; l < layout.Layers.Count; l++)
            {
                var layer = layout.Layers[l];
                bool[]? fields = null;
                for (int filter = 0; filter < layer.Filters; filter++)
                {
                    int bit = layer.PathOffset + filter;
                    var reference = new FilterReference(l, layer.Name, filter);
                    if (before[bit] > 0.5f && after[bit] <= 0.5f)
                    {
                        off.Add(reference);
                        fields ??= GatedActivations.ReceptiveFields(maps[l], tensor(thresholds.Layer(l)), network.Height, network.Width).contiguous().data<bool>().ToArray();
                        var field = fields.AsSpan(filter * union.Length, union.Length);
                        for (int p = 0; p < union.Length; p++)
                        {
                            union[p] |= field[p];
                        }
                    }
                    else if (before[bit] <= 0.5f && after[bit] > 0.5f)
                    {
                        on.Add(reference);
                    }
                }
            }

            double iou = off.Count == 0 ? 0 : IoU(union, mask.PixelArray);
            return ((IReadOnlyList<FilterReference>)off, (IReadOnlyList<FilterReference>)on, iou, (IReadOnlyList<bool>)union);
        });
    }

    /// <summary>Scores every gated filter against every concept and measures single- and multi-filter coverage.</summary>
    /// <param name="network">A gated network.</param>
    /// <param name="images">Images with concept masks.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="progress">Receives "thresholds" and "concepts" progress per batch.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static ConceptAnalysisResult Analyze(DecoupledNetwork network, IReadOnlyList<ConceptImage> images, ConceptOptions? options = null, IProgress<AnalysisProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new ConceptOptions();
        options.Validate();
        var thresholds = Calibrate(network, images, options.TopQuantile, options.BatchSize, progress);
        var concepts = images.SelectMany(i => i.MaskList.Select(m => m.Concept)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var tally = new ConceptTally(network.Description.PathLayout, concepts);
        GatedActivations.Evaluate(network, () =>
        {
            for (int start = 0; start < images.Count; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int size = Math.Min(options.BatchSize, images.Count - start);
                AnalyzeBatch(network, images, start, size, thresholds, options, concepts, tally);
                progress?.Report(("concepts", start + size, images.Count));
            }

            return 0;
        });

        return tally.Result(thresholds);
    }

    private static void AnalyzeBatch(DecoupledNetwork network, IReadOnlyList<ConceptImage> images, int start, int size, ReceptiveFieldThresholds thresholds, ConceptOptions options, string[] concepts, ConceptTally tally)
    {
        using var scope = NewDisposeScope();
        var layout = network.Description.PathLayout;
        int pixels = network.Height * network.Width;
        var (pathTensor, maps) = GatedActivations.Forward(network, GatedActivations.Batch(images, start, size, null), size);
        var path = pathTensor.contiguous().data<float>().ToArray();
        // Per layer, the receptive fields [B, N, H·W] as plain arrays: the IoU sums below are simple counts.
        var fields = maps.Select((m, l) => GatedActivations.ReceptiveFields(m, tensor(thresholds.Layer(l)), network.Height, network.Width)
            .contiguous().data<bool>().ToArray()).ToArray();
        for (int t = 0; t < concepts.Length; t++)
        {
            var rows = Enumerable.Range(0, size).Where(i => images[start + i].MaskList.Any(m => m.Concept == concepts[t])).ToArray();
            if (rows.Length == 0)
            {
                continue;
            }

            var occludedImages = GatedActivations.Batch(images, start, size, (concepts[t], options.OcclusionFill));
            var occludedRows = new float[rows.Length * network.Input.Size];
            for (int i = 0; i < rows.Length; i++)
            {
                Array.Copy(occludedImages, rows[i] * network.Input.Size, occludedRows, i * network.Input.Size, network.Input.Size);
            }

            using var conceptScope = NewDisposeScope();
            var (occludedTensor, _) = GatedActivations.Forward(network, occludedRows, rows.Length);
            var occludedPath = occludedTensor.contiguous().data<float>().ToArray();
            tally.AddImages(t, rows.Length);
            for (int i = 0; i < rows.Length; i++)
            {
                var mask = images[start + rows[i]].MaskList.First(m => m.Concept == concepts[t]).PixelArray;
                for (int l = 0; l < fields.Length; l++)
                {
                    var layer = layout.Layers[l];
                    var union = new bool[pixels];
                    bool anyOff = false;
                    for (int f = 0; f < layer.Filters; f++)
                    {
                        var field = fields[l].AsSpan(((rows[i] * layer.Filters) + f) * pixels, pixels);
                        tally.AddSingle(l, t, f, IoU(field, mask), options.AssociationIoU);
                        int bit = layer.PathOffset + f;
                        if (path[(rows[i] * layout.PathLength) + bit] > 0.5f && occludedPath[(i * layout.PathLength) + bit] <= 0.5f)
                        {
                            anyOff = true;
                            tally.AddSwitchedOff(l, t, f);
                            for (int p = 0; p < pixels; p++)
                            {
                                union[p] |= field[p];
                            }
                        }
                    }

                    tally.AddMulti(l, t, anyOff ? IoU(union, mask) : 0);
                }
            }
        }
    }

    /// <summary>Intersection over union of two masks of the same length (0 when both are empty).</summary>
    internal static double IoU(ReadOnlySpan<bool> a, ReadOnlySpan<bool> b)
    {
        int intersection = 0, union = 0;
        for (int p = 0; p < a.Length; p++)
        {
            intersection += a[p] && b[p] ? 1 : 0;
            union += a[p] || b[p] ? 1 : 0;
        }

        return union == 0 ? 0 : (double)intersection / union;
    }

    /// <summary>Refuses images the network cannot read, naming <c>images</c> (also used before a report's long work).</summary>
    internal static void Check(DecoupledNetwork network, IReadOnlyList<ConceptImage> images)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(images);
        if (!network.IsGated || network.Description.PathLayout.Layers.Count == 0)
        {
            throw new ArgumentException("The network has no gated layers.", nameof(network));
        }

        if (images.Count == 0)
        {
            throw new ArgumentException("At least one image is needed.", nameof(images));
        }

        int pixels = network.Height * network.Width;
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].PixelArray.Length != network.Input.Size)
            {
                throw new ArgumentException($"Image {i} has {images[i].PixelArray.Length} values; the network takes {network.Input} = {network.Input.Size}.", nameof(images));
            }

            foreach (var mask in images[i].MaskList)
            {
                if (mask.PixelArray.Length != pixels)
                {
                    throw new ArgumentException($"The '{mask.Concept}' mask of image {i} has {mask.PixelArray.Length} values; expected {network.Height}×{network.Width}.", nameof(images));
                }
            }
        }
    }

    private static void CheckFilter(DecoupledNetwork network, FilterReference filter)
    {
        var layers = network.Description.PathLayout.Layers;
        ArgumentOutOfRangeException.ThrowIfNegative(filter.LayerIndex, nameof(filter));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(filter.LayerIndex, layers.Count, nameof(filter));
        ArgumentOutOfRangeException.ThrowIfNegative(filter.Filter, nameof(filter));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(filter.Filter, layers[filter.LayerIndex].Filters, nameof(filter));
    }
}
