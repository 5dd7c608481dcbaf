using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// The Mahalanobis detector of Lee et al. (NeurIPS 2018), the strongest simple baseline for detection: class means and
/// one tied covariance of the penultimate features (the classifier head's input) of clean training images; an image's
/// score is its smallest Mahalanobis distance to a class mean (larger: more likely adversarial). This is their
/// penultimate-layer variant without input pre-processing or the multi-layer ensemble, which need tuning on attacks.
/// </summary>
public sealed class MahalanobisDetector
{
    private readonly double[] _means; // classes × features
    private readonly double[] _precision; // features × features

    private MahalanobisDetector(int classes, int features, double[] means, double[] precision)
    {
        Classes = classes;
        FeatureCount = features;
        _means = means;
        _precision = precision;
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Penultimate features per image.</summary>
    public int FeatureCount { get; }

    /// <summary>
    /// What <see cref="Fit"/> needs of its clean images, checked on its own so that a caller can refuse them before long
    /// work: the network's image shape and at least one image of every class (labels in range).
    /// </summary>
    internal static void RequireCalibration(DecoupledNetwork network, ImageDataset clean, string parameter)
    {
        ArgumentNullException.ThrowIfNull(clean, parameter);
        Training.DecouplingTrainer.RequireShape(network, clean, parameter);
        var counts = new int[network.Classes];
        foreach (int label in clean.Labels)
        {
            if (label < 0 || label >= counts.Length)
            {
                throw new ArgumentException($"A label is {label}; the network has classes 0 to {counts.Length - 1}.", parameter);
            }

            counts[label]++;
        }

        int missing = Array.IndexOf(counts, 0);
        if (missing >= 0)
        {
            string name = missing < clean.ClassNames.Count ? $" ('{clean.ClassNames[missing]}')" : string.Empty;
            throw new ArgumentException($"Class {missing}{name} has no image; the Mahalanobis detector needs a mean for every class.", parameter);
        }
    }

    /// <summary>Fits class means and the tied covariance on the penultimate features of <paramref name="clean"/>.</summary>
    /// <param name="network">The network whose features are scored.</param>
    /// <param name="clean">Clean images with their true classes (e.g. a sample of the training set); every class needs at least one.</param>
    /// <param name="warn">Receives a warning when the fit is legal but useless (every feature constant over
    /// <paramref name="clean"/>, so every score is 0); null writes it to standard error.</param>
    public static MahalanobisDetector Fit(DecoupledNetwork network, ImageDataset clean, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        RequireCalibration(network, clean, nameof(clean));
        return FromReadout(network, clean, NetworkReadout.Run(network, clean.Pixels, clean.Count), warn);
    }

    /// <summary><see cref="Fit"/> from the network's readout of <paramref name="clean"/>, already computed (and checked) by the caller.</summary>
    internal static MahalanobisDetector FromReadout(DecoupledNetwork network, ImageDataset clean, NetworkReadout readout, Action<string>? warn = null)
    {
        int classes = network.Classes;
        int features = network.Description.HeadInputs;
        if (clean.Count > 1 && ConstantFeatures.Count(readout.Features, clean.Count, features) == features)
        {
            ConstantFeatures.Warn(warn,
                $"MahalanobisDetector: all {features} penultimate features are the same for each of the {clean.Count} clean images (constant images?), so every score will be 0 and the detector cannot tell images apart; fit it on varied clean images.");
        }

        using var scope = NewDisposeScope();
        var x = tensor(readout.Features, new long[] { clean.Count, features }).to_type(ScalarType.Float64);
        var (means, precision) = TiedGaussian.Fit(x, tensor(clean.Labels.Select(l => (long)l).ToArray()), classes);
        return new MahalanobisDetector(classes, features, means.contiguous().data<double>().ToArray(), precision.contiguous().data<double>().ToArray());
    }

    /// <summary>The score of each row of <paramref name="set"/>: its smallest Mahalanobis distance (squared) to a class mean.</summary>
    public float[] Score(DetectionSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.FeatureCount != FeatureCount)
        {
            throw new ArgumentException($"The set's rows have {set.FeatureCount} features; the detector was fitted on {FeatureCount}.", nameof(set));
        }

        return Score(set.Rows.Select(r => r.Features).ToArray());
    }

    /// <summary>Scores penultimate feature vectors (one array of <see cref="FeatureCount"/> values per image).</summary>
    public float[] Score(IReadOnlyList<float[]> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0)
        {
            return [];
        }

        using var scope = NewDisposeScope();
        var x = stack(features.Select(f => f.Length == FeatureCount ? tensor(f) : throw new ArgumentException($"Expected {FeatureCount} features per image, got {f.Length}.", nameof(features))).ToArray()).to_type(ScalarType.Float64);
        var means = tensor(_means, new long[] { Classes, FeatureCount });
        var precision = tensor(_precision, new long[] { FeatureCount, FeatureCount });
        var difference = x.unsqueeze(1) - means.unsqueeze(0); // [N, K, F]
        var distances = (difference.matmul(precision) * difference).sum(2); // [N, K]
        return distances.min(1).values.to_type(ScalarType.Float32).data<float>().ToArray();
    }
}
