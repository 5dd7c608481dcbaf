using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>Evaluation-mode forward passes that keep each gated layer's activation maps, and the receptive fields made from them.</summary>
internal static class GatedActivations
{
    /// <summary>Runs <paramref name="images"/> through the network; the path [B, L] and the maps (per gated layer [B, N, h, w]) belong to the caller's scope.</summary>
    public static (Tensor Path, List<Tensor> Maps) Forward(DecoupledNetwork network, float[] images, int count)
    {
        var input = tensor(images, new long[] { count, network.Input.Size }, device: network.Device);
        var maps = new List<Tensor>();
        var result = network.Forward(input, null, maps);
        return (result.Path().cpu(), maps.Select(m => m.cpu()).ToList());
    }

    /// <summary>
    /// Receptive fields [B, N, H·W] (bool): the maps upsampled bilinearly to the input size and compared with each
    /// filter's threshold [N].
    /// </summary>
    public static Tensor ReceptiveFields(Tensor maps, Tensor thresholds, int height, int width)
    {
        var upsampled = nn.functional.interpolate(maps, new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
        return upsampled.gt(thresholds.view(1, -1, 1, 1)).flatten(2);
    }

    /// <summary>Runs <paramref name="body"/> with the network in evaluation mode, without gradients, after the convolution self-check.</summary>
    public static T Evaluate<T>(DecoupledNetwork network, Func<T> body)
    {
        Native.ConvolutionSelfCheck.EnsureCorrectFor(network.Device);
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            return body();
        }
        finally
        {
            network.train(wasTraining);
        }
    }

    /// <summary>Per gated layer, the activation level that a share <paramref name="topQuantile"/> of each filter's activations exceed [N].</summary>
    public static float[][] Thresholds(DecoupledNetwork network, IReadOnlyList<ConceptImage> images, double topQuantile, int batchSize, IProgress<AnalysisProgress>? progress)
    {
        int layers = network.Description.PathLayout.Layers.Count;
        var collected = Enumerable.Range(0, layers).Select(_ => new List<float[]>()).ToArray();
        var filters = network.Description.PathLayout.Layers.Select(l => l.Filters).ToArray();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int size = Math.Min(batchSize, images.Count - start);
            var (_, maps) = Forward(network, Batch(images, start, size, null), size);
            for (int l = 0; l < layers; l++)
            {
                // [N, B·h·w]: every activation of a filter in one row.
                collected[l].Add(maps[l].transpose(0, 1).reshape(filters[l], -1).contiguous().data<float>().ToArray());
            }

            progress?.Report(("thresholds", start + size, images.Count));
        }

        var thresholds = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            using var scope = NewDisposeScope();
            var all = cat(collected[l].Select(c => tensor(c, new long[] { filters[l], c.Length / filters[l] })).ToArray(), 1);
            long total = all.shape[1];
            long k = Math.Clamp((long)Math.Floor((1 - topQuantile) * total), 1, total);
            thresholds[l] = all.kthvalue(k, 1).values.contiguous().data<float>().ToArray();
        }

        return thresholds;
    }

    /// <summary>Images [start, start + size) as one C·H·W-per-row array; with <paramref name="occlude"/>, the pixels under that concept's mask are filled.</summary>
    public static float[] Batch(IReadOnlyList<ConceptImage> images, int start, int size, (string Concept, float Fill)? occlude)
    {
        int imageSize = images[start].PixelArray.Length;
        var batch = new float[size * imageSize];
        for (int i = 0; i < size; i++)
        {
            var image = images[start + i];
            if (image.PixelArray.Length != imageSize)
            {
                throw new ArgumentException($"Image {start + i} has {image.PixelArray.Length} values; image {start} has {imageSize}.", nameof(images));
            }

            image.PixelArray.CopyTo(batch, i * imageSize);
            if (occlude is { } o && image.MaskList.FirstOrDefault(m => m.Concept == o.Concept) is { } mask)
            {
                Occlude(batch.AsSpan(i * imageSize, imageSize), mask.PixelArray, o.Fill);
            }
        }

        return batch;
    }

    /// <summary>Fills the pixels under <paramref name="mask"/> (H·W) in every channel of <paramref name="image"/> (C·H·W).</summary>
    public static void Occlude(Span<float> image, bool[] mask, float fill)
    {
        int channels = image.Length / mask.Length;
        for (int c = 0; c < channels; c++)
        {
            for (int p = 0; p < mask.Length; p++)
            {
                if (mask[p])
                {
                    image[(c * mask.Length) + p] = fill;
                }
            }
        }
    }
}
