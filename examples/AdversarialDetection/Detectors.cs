using Microsoft.ML;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace AdversarialDetection;

/// <summary>
/// The detectors compared: ordinary ML.NET binary trainers on columns of a detection set, composed with Append. The
/// paper's three (random forest, AdaBoost, gradient boosting) map to FastForest, LightGbm and FastTree; ML.NET has no
/// AdaBoost, and LightGbm is the other served boosting trainer. Leaves may hold a single row: the protocol trains on 20
/// to 200 rows, where ML.NET's defaults (10 or 20 rows per leaf) would barely split.
/// </summary>
internal static class Detectors
{
    public const string Features = "DetectorFeatures";

    public static readonly string[] Trainers = ["FastForest", "FastTree", "LightGbm"];

    public static IEstimator<ITransformer> Create(MLContext mlContext, string trainer, DataViewSchema schema, params string[] columns)
    {
        var features = mlContext.Transforms.Concatenate(Features, columns);
        return trainer switch
        {
            // The library's forest (√p features per split), the one PathAdversarialDetector and the Quickstart use.
            "FastForest" => PathAdversarialDetector.Forest(mlContext, schema, columns),
            "FastTree" => features.Append(mlContext.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                LabelColumnName = DecouplingColumnNames.IsAdversarial,
                FeatureColumnName = Features,
                NumberOfTrees = 100,
                NumberOfLeaves = 8,
                MinimumExampleCountPerLeaf = 1,
            })),
            "LightGbm" => features.Append(mlContext.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                LabelColumnName = DecouplingColumnNames.IsAdversarial,
                FeatureColumnName = Features,
                NumberOfIterations = 100,
                NumberOfLeaves = 8,
                MinimumExampleCountPerLeaf = 1,
                Seed = 1,
            })),
            _ => throw new ArgumentException($"Unknown trainer '{trainer}'."),
        };
    }

    /// <summary>Fits <paramref name="trainer"/> on <paramref name="train"/> and measures it on <paramref name="test"/>.</summary>
    public static DetectorMetrics Evaluate(MLContext mlContext, string trainer, string[] columns, DetectionSet train, DetectionSet test)
    {
        var trainView = train.ToDataView(mlContext);
        var model = Create(mlContext, trainer, trainView.Schema, columns).Fit(trainView);
        return DetectorMetrics.Evaluate(model.Transform(test.ToDataView(mlContext)));
    }

    /// <summary>The Mahalanobis baseline: threshold from the training rows, metrics on the test rows.</summary>
    public static DetectorMetrics Evaluate(MahalanobisDetector detector, DetectionSet train, DetectionSet test)
    {
        double threshold = DetectorMetrics.BestThreshold(detector.Score(train), train.Rows.Select(r => r.IsAdversarial).ToArray());
        return DetectorMetrics.Compute(detector.Score(test), test.Rows.Select(r => r.IsAdversarial).ToArray(), threshold);
    }
}
