using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// How far an image's calculation path lies from the paths of clean images of the class the network gives it: for each
/// gated layer, and then over the whole path, the squared Mahalanobis distance of the gated filters' responses (the
/// <see cref="DecouplingColumnNames.Responses"/> values) to the mean responses of the predicted class, with one
/// covariance per layer shared by all classes, fitted on clean images (<see cref="DetectionDataOptions.DeviationCalibration"/>):
/// the <see cref="DecouplingColumnNames.PathDeviation"/> column, <see cref="Length"/> values per row.
/// </summary>
/// <remarks>
/// The paper (§4.4, Fig. 10) observes that the path of an adversarial "dog → truck" differs from the paths of real dogs
/// and of real trucks; this measures that difference against the predicted class. Not in the paper, whose detectors see
/// the 0/1 path alone: with a few images per class a forest cannot learn what every class's paths look like, while
/// these class statistics come from plentiful clean images, as the Mahalanobis baseline's do (BENCHMARKS.md, issue 16).
/// </remarks>
internal sealed class PathDeviation
{
    private readonly int[] _offsets; // layer boundaries in the path, layers + 1 values
    private readonly double[] _means; // classes × path length
    private readonly double[][] _precisions; // per layer (filters × filters), then the whole path

    private PathDeviation(int classes, int[] offsets, double[] means, double[][] precisions)
    {
        Classes = classes;
        _offsets = offsets;
        _means = means;
        _precisions = precisions;
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Responses per image (the path length).</summary>
    public int PathLength => _offsets[^1];

    /// <summary>Values per image: one per gated layer, then the whole path's.</summary>
    public int Length => _offsets.Length;

    /// <summary>Where each value's responses start and end in the path: layers, then the whole path.</summary>
    internal (int Start, int End) Span(int value) => value < Length - 1 ? (_offsets[value], _offsets[value + 1]) : (0, PathLength);

    /// <summary>The class means of the responses, classes × <see cref="PathLength"/>, row-major.</summary>
    internal IReadOnlyList<double> Means => _means;

    /// <summary>The precision matrix of value <paramref name="value"/> (see <see cref="Span"/>), row-major.</summary>
    internal IReadOnlyList<double> Precision(int value) => _precisions[value];

    /// <summary>Fits the class means and per-layer covariances on the responses of <paramref name="clean"/>.</summary>
    /// <param name="network">The network whose responses are measured: with gates, or without them and with
    /// <see cref="DetectionDataOptions.DensePath"/> set on <paramref name="options"/> (its responses of the same filters).</param>
    /// <param name="clean">Clean images with their true classes (e.g. a sample of the training set); every class needs at least one.</param>
    /// <param name="options">The options the detection sets are built with (dense path, batch size); null for the defaults.</param>
    /// <param name="parameter">The caller's parameter to name in errors about <paramref name="clean"/>.</param>
    public static PathDeviation Fit(DecoupledNetwork network, ImageDataset clean, DetectionDataOptions? options = null, string parameter = "clean")
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new DetectionDataOptions();
        MahalanobisDetector.RequireCalibration(network, clean, parameter);
        IReadOnlyList<int> filters = network.IsGated
            ? GatedLayerFilters(network)
            : options.DensePath?.LayerFilters
              ?? throw new ArgumentException("The network has no gates: give DetectionDataOptions.DensePath (DensePathEncoder.Fit) to measure its dense responses.", nameof(options));
        var responses = AdversarialDetectionData.Read(network, clean.Pixels, clean.Count, options).Responses;
        return FromResponses(responses, [.. clean.Labels], network.Classes, filters);
    }

    /// <summary>
    /// Fits on <paramref name="count"/> images evenly spaced over <paramref name="images"/> (all of them when there are
    /// fewer): what the estimator measures after training. A class without an image among them gets the mean of all.
    /// </summary>
    internal static PathDeviation FromTrainingImages(DecoupledNetwork network, Training.TrainingImages images, int count)
    {
        count = Math.Min(count, images.Count);
        int size = images.Shape.Size;
        var pixels = new float[(long)count * size];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int index = (int)((long)i * images.Count / count);
            images.ReadImage(index, pixels.AsSpan(i * size, size));
            labels[i] = images.Label(index);
        }

        var responses = AdversarialDetectionData.Read(network, pixels, count, new DetectionDataOptions()).Responses;
        return FromResponses(responses, labels, network.Classes, GatedLayerFilters(network));
    }

    /// <summary>
    /// <see cref="Fit"/> for a gated network from its readout of <paramref name="clean"/>, already computed by the caller
    /// (who may read other statistics from it too).
    /// </summary>
    internal static PathDeviation FromReadout(DecoupledNetwork network, ImageDataset clean, Inference.NetworkReadout readout) =>
        FromResponses(readout.GatedResponses, [.. clean.Labels], network.Classes, GatedLayerFilters(network));

    /// <summary>The filter count of each gated layer, in path order: how a gated network's responses split into layers.</summary>
    private static int[] GatedLayerFilters(DecoupledNetwork network) => [.. network.PathLayout.Layers.Select(l => l.Filters)];

    /// <summary>Fits on count×Σ<paramref name="layerFilters"/> responses with their true classes.</summary>
    internal static PathDeviation FromResponses(float[] responses, int[] labels, int classes, IReadOnlyList<int> layerFilters)
    {
        var offsets = new int[layerFilters.Count + 1];
        for (int l = 0; l < layerFilters.Count; l++)
        {
            offsets[l + 1] = offsets[l] + layerFilters[l];
        }

        using var scope = NewDisposeScope();
        var x = tensor(responses, new long[] { labels.Length, offsets[^1] }).to_type(ScalarType.Float64);
        var classOf = tensor(labels.Select(l => (long)l).ToArray());
        var precisions = new double[layerFilters.Count + 1][];
        Tensor? means = null;
        for (int l = 0; l <= layerFilters.Count; l++)
        {
            var (start, end) = l < layerFilters.Count ? (offsets[l], offsets[l + 1]) : (0, offsets[^1]);
            var fit = TiedGaussian.Fit(x[.., start..end], classOf, classes);
            precisions[l] = fit.Precision.contiguous().data<double>().ToArray();
            means = fit.Means; // the whole path's means, from the last fit
        }

        return new PathDeviation(classes, offsets, means!.contiguous().data<double>().ToArray(), precisions);
    }

    /// <summary>The deviations of <paramref name="count"/> images: count×<see cref="Length"/> values.</summary>
    /// <param name="responses">count×<see cref="PathLength"/> responses.</param>
    /// <param name="predicted">The network's class of each image.</param>
    /// <param name="count">Number of images.</param>
    internal float[] Compute(float[] responses, int[] predicted, int count)
    {
        if (responses.Length != (long)count * PathLength || predicted.Length != count)
        {
            throw new ArgumentException($"Expected {count}×{PathLength} responses and {count} classes; got {responses.Length} and {predicted.Length}.", nameof(responses));
        }

        if (count == 0)
        {
            return [];
        }

        using var scope = NewDisposeScope();
        var x = tensor(responses, new long[] { count, PathLength }).to_type(ScalarType.Float64);
        var means = tensor(_means, new long[] { Classes, PathLength });
        var difference = x - means.index_select(0, tensor(predicted.Select(p => (long)p).ToArray()));
        var columns = new Tensor[Length];
        for (int l = 0; l < Length; l++)
        {
            var (start, end) = Span(l);
            var part = difference[.., start..end];
            columns[l] = (part.matmul(tensor(_precisions[l], new long[] { end - start, end - start })) * part).sum(1);
        }

        return stack(columns, 1).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }
}
