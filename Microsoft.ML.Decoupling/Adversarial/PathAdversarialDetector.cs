using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Trainers.FastTree;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// One-call version of the detection workflow (paper §4.4) for demos and the Quickstart: sample correctly classified
/// images per class, attack them, train an ML.NET FastForest on the Path column and another on the Responses column
/// (the gated filters' GAP responses before their gates), and measure them beside two baselines on the same held-out
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
    /// <param name="calibration">Clean images (with labels) for the Mahalanobis class means, e.g. part of the network's training set.</param>
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

        // Before the sampling, the attacks and the forests: a bad calibration set would fail only at the end.
        MahalanobisDetector.RequireCalibration(network, calibration, nameof(calibration));

        var trainIndices = AdversarialDetectionData.SampleCorrectlyClassified(network, images, trainPerClass, seed);
        var testIndices = AdversarialDetectionData.SampleCorrectlyClassified(network, images, testPerClass, seed + 1, trainIndices.ToHashSet());
        var options = new DetectionDataOptions { Seed = seed };
        var train = AdversarialDetectionData.Create(network, images.Select(trainIndices), attack, options);
        var test = AdversarialDetectionData.Create(network, images.Select(testIndices), attack, new DetectionDataOptions { Seed = seed + 1 });
        var trainView = train.ToDataView(mlContext);
        var testView = test.ToDataView(mlContext);
        var path = Evaluate(mlContext, DecouplingColumnNames.Path, trainView, testView);
        var responses = Evaluate(mlContext, DecouplingColumnNames.Responses, trainView, testView);
        var scores = Evaluate(mlContext, DecouplingColumnNames.Score, trainView, testView);
        var mahalanobis = MahalanobisDetector.Fit(network, calibration);
        var threshold = DetectorMetrics.BestThreshold(mahalanobis.Score(train), train.Rows.Select(r => r.IsAdversarial).ToArray());
        var distance = DetectorMetrics.Compute(mahalanobis.Score(test), test.Rows.Select(r => r.IsAdversarial).ToArray(), threshold);
        double success = (train.AttackSuccessRate * trainIndices.Length + test.AttackSuccessRate * testIndices.Length) / (trainIndices.Length + testIndices.Length);
        return new AdversarialDetectionReport(attack.ToString(), success, TrainerName, path, responses, scores, distance, train, test, trainIndices, testIndices);
    }

    /// <summary>
    /// A FastForest for the few rows of the paper's protocol (10 to 200): ML.NET's default of 10 rows per leaf would
    /// leave a forest on 20 rows without a split.
    /// </summary>
    internal static FastForestBinaryTrainer SmallSampleForest(MLContext mlContext, string featureColumn) =>
        mlContext.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
        {
            LabelColumnName = DecouplingColumnNames.IsAdversarial,
            FeatureColumnName = featureColumn,
            NumberOfTrees = 100,
            MinimumExampleCountPerLeaf = 1,
        });

    private static DetectorMetrics Evaluate(MLContext mlContext, string featureColumn, IDataView train, IDataView test)
    {
        var detector = SmallSampleForest(mlContext, featureColumn).Fit(train);
        return DetectorMetrics.Evaluate(detector.Transform(test));
    }
}
