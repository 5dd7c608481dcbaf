using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// Adversarial-sample detection from calculation paths (paper §4.4): attack held-out images, run clean and
/// adversarial images through the transformer, train an ML.NET FastForest on the Path column to tell them apart,
/// and score it with ML.NET's binary evaluator on images it never saw (both copies of an image fall in one split).
/// </summary>
public static class PathAdversarialDetector
{
    /// <summary>Name of the detector trainer, as reported in metrics.</summary>
    public const string TrainerName = "FastForest";

    private const string IsAdversarialColumn = "IsAdversarial";

    /// <summary>Runs attack, path extraction, detector training and evaluation.</summary>
    /// <param name="mlContext">The ML.NET context (seeded for reproducible forests).</param>
    /// <param name="model">A trained decoupled network.</param>
    /// <param name="images">Images to attack (not used to train the network).</param>
    /// <param name="epsilon">FGSM L∞ budget.</param>
    /// <param name="testFraction">Share of images whose two copies form the detector's test set.</param>
    /// <param name="seed">Seed of the train/test split.</param>
    public static AdversarialDetectionReport Run(MLContext mlContext, DecoupledNetworkTransformer model, ImageDataset images, double epsilon, double testFraction = 0.5, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        if (double.IsNaN(testFraction) || testFraction <= 0 || testFraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "testFraction must be in (0, 1).");
        }

        if (model.PathLayout.PathLength == 0)
        {
            throw new InvalidOperationException("The model has no gates, so it has no calculation paths to detect attacks from.");
        }

        int testCount = (int)Math.Round(images.Count * testFraction);
        if (testCount < 2 || images.Count - testCount < 2)
        {
            throw new ArgumentException($"Need at least 2 images on each side of the split; got {images.Count} images with testFraction {testFraction}.", nameof(images));
        }

        var adversarialPixels = FastGradientSignMethod.Attack(model.Network, images.Pixels, images.Labels, epsilon);
        var adversarial = new ImageDataset(adversarialPixels, images.Labels, images.Channels, images.Height, images.Width, images.ClassNames);
        var (cleanPredicted, cleanPaths) = ReadOutputs(mlContext, model, images);
        var (adversarialPredicted, adversarialPaths) = ReadOutputs(mlContext, model, adversarial);

        var order = Enumerable.Range(0, images.Count).ToArray();
        new Random(seed).Shuffle(order);
        var isTest = new bool[images.Count];
        foreach (int index in order.Take(testCount))
        {
            isTest[index] = true;
        }

        var rows = new List<PathRecord>(2 * images.Count);
        int correct = 0, fooled = 0;
        for (int i = 0; i < images.Count; i++)
        {
            int label = images.GetLabel(i);
            rows.Add(new PathRecord(isTest[i], label, cleanPredicted[i], false, cleanPaths[i]));
            rows.Add(new PathRecord(isTest[i], label, adversarialPredicted[i], true, adversarialPaths[i]));
            if (cleanPredicted[i] == label)
            {
                correct++;
                fooled += adversarialPredicted[i] == label ? 0 : 1;
            }
        }

        int pathLength = model.PathLayout.PathLength;
        var train = ToDataView(mlContext, rows.Where(r => !r.IsTest), pathLength);
        var test = ToDataView(mlContext, rows.Where(r => r.IsTest), pathLength);
        var detector = mlContext.BinaryClassification.Trainers.FastForest(IsAdversarialColumn, DecouplingColumnNames.Path).Fit(train);
        var metrics = mlContext.BinaryClassification.EvaluateNonCalibrated(detector.Transform(test), IsAdversarialColumn);
        int testRows = rows.Count(r => r.IsTest);
        return new AdversarialDetectionReport(
            FastGradientSignMethod.Name, epsilon, correct == 0 ? 0 : (double)fooled / correct, TrainerName,
            metrics.AreaUnderRocCurve, rows.Count - testRows, testRows, rows);
    }

    private static (int[] Predicted, float[][] Paths) ReadOutputs(MLContext mlContext, DecoupledNetworkTransformer model, ImageDataset images)
    {
        var view = images.ToDataView(mlContext);
        if (model.Columns.Feature != DecouplingColumnNames.Image)
        {
            view = mlContext.Transforms.CopyColumns(model.Columns.Feature, DecouplingColumnNames.Image).Fit(view).Transform(view);
        }

        var scored = model.Transform(view);
        var scores = scored.GetColumn<VBuffer<float>>(model.Columns.Score).Select(ArgMax).ToArray();
        var paths = scored.GetColumn<VBuffer<float>>(model.Columns.Path).Select(p => p.DenseValues().ToArray()).ToArray();
        return (scores, paths);
    }

    private static int ArgMax(VBuffer<float> scores)
    {
        var values = scores.DenseValues().ToArray();
        return Array.IndexOf(values, values.Max());
    }

    private static IDataView ToDataView(MLContext mlContext, IEnumerable<PathRecord> rows, int pathLength)
    {
        var schema = SchemaDefinition.Create(typeof(DetectorRow));
        schema[nameof(DetectorRow.Path)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, pathLength);
        var data = rows.Select(r => new DetectorRow { Path = r.Path, IsAdversarial = r.IsAdversarial }).ToList();
        return mlContext.Data.LoadFromEnumerable(data, schema);
    }

    private sealed class DetectorRow
    {
        public float[] Path { get; set; } = [];

        public bool IsAdversarial { get; set; }
    }
}
