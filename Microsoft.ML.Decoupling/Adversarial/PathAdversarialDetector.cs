using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Trainers.FastTree;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// One-call version of the detection workflow (paper §4.4) for demos and the Quickstart: sample correctly classified
/// images per class, attack them, train an ML.NET FastForest on the Path column, another on the Responses column
/// (the gated filters' GAP responses before their gates) and the detector to use on the responses with their
/// <see cref="DecouplingColumnNames.PathDeviation"/> (fitted on the calibration images), and measure them beside two baselines on the same held-out
/// images — FastForest on the softmax scores, and the Mahalanobis detector. The steps are public
/// (<see cref="AdversarialDetectionData"/>, <see cref="DetectionSet.ToDataView"/>, <see cref="DetectorMetrics"/>); compose
/// them directly to use other trainers or features.
/// </summary>
public static class PathAdversarialDetector
{
    /// <summary>Name of the detector trainer, as reported in metrics.</summary>
    public const string TrainerName = "FastForest";

    /// <summary>Runs sampling, attack, path reading, detector training and evaluation.</summary>
    /// <param name="mlContext">The ML.NET context (seeded for reproducible forests).</param>
    /// <param name="network">A trained decoupled network (with gates).</param>
    /// <param name="images">Images never used to train the network; detector training and test images are drawn from them, disjoint.</param>
    /// <param name="attack">The attack.</param>
    /// <param name="trainPerClass">Clean images per class to train the detectors on.</param>
    /// <param name="testPerClass">Clean images per class to test them on.</param>
    /// <param name="calibration">Clean images (with labels) for the class means of the path deviation and of the Mahalanobis baseline, e.g. part of the network's training set.</param>
    /// <param name="seed">Seed of the sampling, the attack's randomness and the detector.</param>
    public static AdversarialDetectionReport Run(
        MLContext mlContext,
        DecoupledNetwork network,
        ImageDataset images,
        AdversarialAttack attack,
        int trainPerClass,
        int testPerClass,
        ImageDataset calibration,
        int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(attack);
        ArgumentNullException.ThrowIfNull(calibration);
        if (!network.IsGated)
        {
            throw new ArgumentException("The network has no gates, so it has no calculation paths to detect attacks from.", nameof(network));
        }

        // Before the passes over the images, the attacks and the forests: bad counts or a bad calibration set would fail
        // only at the end.
        ArgumentOutOfRangeException.ThrowIfLessThan(trainPerClass, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(testPerClass, 1);
        MahalanobisDetector.RequireCalibration(network, calibration, nameof(calibration));
        AdversarialDetectionData.RequireImages(network, images, nameof(images));

        // One pass of the network over the images for both samples.
        float[] poolScores = AdversarialDetectionData.ClassifyPool(network, images);
        var trainIndices = AdversarialDetectionData.SampleCorrectlyClassifiedFrom(poolScores, network.Classes, images, trainPerClass, seed, parameter: nameof(trainPerClass));
        var testIndices = AdversarialDetectionData.SampleCorrectlyClassifiedFrom(poolScores, network.Classes, images, testPerClass, seed + 1, trainIndices.ToHashSet(), nameof(testPerClass));

        // One fit of the class statistics for both sets; the path deviation and the Mahalanobis baseline read the same
        // pass of the network over the calibration images (not kept beyond the two fits).
        var (deviation, mahalanobis) = FitCalibration(network, calibration);
        var train = AdversarialDetectionData.Create(network, images.Select(trainIndices), attack, new DetectionDataOptions { Seed = seed, FittedDeviation = deviation });
        RequireSuccessfulAttacks(train, attack, "training");
        var test = AdversarialDetectionData.Create(network, images.Select(testIndices), attack, new DetectionDataOptions { Seed = seed + 1, FittedDeviation = deviation });
        RequireSuccessfulAttacks(test, attack, "test");
        var trainView = train.ToDataView(mlContext);
        var testView = test.ToDataView(mlContext);
        var path = Evaluate(mlContext, trainView, testView, DecouplingColumnNames.Path);
        var responses = Evaluate(mlContext, trainView, testView, DecouplingColumnNames.Responses);
        var withDeviation = Evaluate(mlContext, trainView, testView, DetectorColumns);
        var scores = Evaluate(mlContext, trainView, testView, DecouplingColumnNames.Score);
        var threshold = DetectorMetrics.BestThreshold(mahalanobis.Score(train), train.Rows.Select(r => r.IsAdversarial).ToArray());
        var distance = DetectorMetrics.Compute(mahalanobis.Score(test), test.Rows.Select(r => r.IsAdversarial).ToArray(), threshold);
        double success = (train.AttackSuccessRate * trainIndices.Length + test.AttackSuccessRate * testIndices.Length) / (trainIndices.Length + testIndices.Length);
        return new AdversarialDetectionReport(attack.ToString(), success, TrainerName, path, responses, withDeviation, scores, distance, train, test, trainIndices, testIndices);
    }

    /// <summary>A detector needs adversarial rows to learn from and to be measured on: an attack that never succeeded is named at once.</summary>
    private static void RequireSuccessfulAttacks(DetectionSet set, AdversarialAttack attack, string which)
    {
        if (set.AdversarialCount == 0)
        {
            throw new ArgumentException(
                $"{attack} succeeded on none of the detector's {set.Rows.Count} {which} images, so there are no adversarial examples to detect; use a stronger attack (a larger ε or more steps).",
                nameof(attack));
        }
    }

    /// <summary>The path deviation and the Mahalanobis baseline, both from one readout of <paramref name="calibration"/>.</summary>
    private static (PathDeviation Deviation, MahalanobisDetector Mahalanobis) FitCalibration(DecoupledNetwork network, ImageDataset calibration)
    {
        var readout = Inference.NetworkReadout.Run(network, calibration.Pixels, calibration.Count);
        return (PathDeviation.FromReadout(network, calibration, readout), MahalanobisDetector.FromReadout(network, calibration, readout));
    }

    /// <summary>
    /// The columns of the detector to use: the gated filters' responses and their deviation from the predicted class's
    /// (<see cref="DecouplingColumnNames.Responses"/>, <see cref="DecouplingColumnNames.PathDeviation"/>: build the sets
    /// with <see cref="DetectionDataOptions.DeviationCalibration"/>); BENCHMARKS.md, issue 16.
    /// </summary>
    public static IReadOnlyList<string> DetectorColumns { get; } = [DecouplingColumnNames.Responses, DecouplingColumnNames.PathDeviation];

    /// <summary>
    /// The detector's random forest on <paramref name="columns"/> of a detection set (concatenated into one feature
    /// vector): an ML.NET FastForest of 100 trees for the few rows of the paper's protocol (10 to 200 images per class),
    /// whose leaves may hold one row (ML.NET's default of 10 would leave a forest on 20 rows without a split) and whose
    /// splits each draw √p of the p features, as Breiman's random forest does (ML.NET's default draws 70 % per tree and
    /// all of them per split, which on a few hundred correlated responses grows nearly the same tree a hundred times).
    /// </summary>
    /// <param name="mlContext">The ML.NET context (seeded for reproducible forests).</param>
    /// <param name="schema">The schema of the data it will be trained on (for the feature count).</param>
    /// <param name="columns">Feature columns: numeric vectors or scalars.</param>
    public static IEstimator<ITransformer> Forest(MLContext mlContext, DataViewSchema schema, IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(columns);
        int features = 0;
        foreach (string column in columns)
        {
            var type = (schema.GetColumnOrNull(column) ?? throw new ArgumentException($"The data has no column '{column}'; it has {string.Join(", ", schema.Select(c => c.Name))}.", nameof(columns))).Type;
            features += type is VectorDataViewType { IsKnownSize: true } vector ? vector.Size
                : type is NumberDataViewType ? 1
                : throw new ArgumentException($"Column '{column}' is {type}; a detector feature is a number or a vector of known size.", nameof(columns));
        }

        return mlContext.Transforms.Concatenate(FeaturesColumn, [.. columns]).Append(
            mlContext.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
            {
                LabelColumnName = DecouplingColumnNames.IsAdversarial,
                FeatureColumnName = FeaturesColumn,
                NumberOfTrees = 100,
                MinimumExampleCountPerLeaf = 1,
                FeatureFraction = 1,
                FeatureFractionPerSplit = Math.Sqrt(features) / features,
            }));
    }

    private const string FeaturesColumn = "DetectorFeatures";

    private static DetectorMetrics Evaluate(MLContext mlContext, IDataView train, IDataView test, params IReadOnlyList<string> columns)
    {
        var detector = Forest(mlContext, train.Schema, columns).Fit(train);
        return DetectorMetrics.Evaluate(detector.Transform(test));
    }
}
