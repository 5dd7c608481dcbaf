using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Analysis.Clustering;
using Microsoft.ML.Decoupling.Analysis.Report;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Bad inputs to detection and analysis are refused before any long work, naming the argument.</summary>
[TestClass]
public sealed class EarlyRefusalTests
{
    private static readonly ImageShape Shape = new(1, 16, 16);

    [TestMethod]
    public void DetectionData_WithAnotherClassCountThanTheNetwork_IsRefused()
    {
        using var network = NetworkArchitecture.Parse("vgg:8,16,M,16,32").Build(Shape, 4, seed: 3);
        var images = Images(count: 4, classes: 2);
        var error = Assert.ThrowsExactly<ArgumentException>(() => AdversarialDetectionData.Create(network, images, new FastGradientSignMethod(0.1)));
        Assert.AreEqual("images", error.ParamName);
        StringAssert.Contains(error.Message, "2 classes");
    }

    [TestMethod]
    public void PathDetector_WithoutImagesPerClass_OrWithImagesOfAnotherShapeOrClassCount_FailsBeforeAnyPass()
    {
        using var network = NetworkArchitecture.Parse("vgg:8,16,M,16,32").Build(Shape, 4, seed: 3);
        var images = Images(count: 40, classes: 4);
        var mlContext = new MLContext(1);
        var attack = new FastGradientSignMethod(0.1);
        Assert.AreEqual("trainPerClass", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PathAdversarialDetector.Run(mlContext, network, images, attack, 0, 5, images)).ParamName);
        Assert.AreEqual("testPerClass", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PathAdversarialDetector.Run(mlContext, network, images, attack, 5, 0, images)).ParamName);
        var wide = new ImageDataset(new float[4 * 2 * Shape.Size], [0, 1, 2, 3], 2, 16, 16, ["a", "b", "c", "d"]);
        Assert.AreEqual("images", Assert.ThrowsExactly<ArgumentException>(() => PathAdversarialDetector.Run(mlContext, network, wide, attack, 1, 1, images)).ParamName);
        var twoClasses = Images(count: 40, classes: 2);
        var error = Assert.ThrowsExactly<ArgumentException>(() => PathAdversarialDetector.Run(mlContext, network, twoClasses, attack, 1, 1, images));
        Assert.AreEqual("images", error.ParamName);
        StringAssert.Contains(error.Message, "2 classes");
    }

    [TestMethod]
    public void PathDetector_WithACalibrationSetMissingAClass_FailsBeforeAttacking()
    {
        using var network = NetworkArchitecture.Parse("vgg:8,16,M,16,32").Build(Shape, 4, seed: 3);
        var calibration = new ImageDataset(new float[2 * Shape.Size], [0, 1], 1, 16, 16, ["a", "b", "c", "d"]);
        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            PathAdversarialDetector.Run(new MLContext(1), network, Images(count: 40, classes: 4), new FastGradientSignMethod(0.1), 5, 5, calibration));
        Assert.AreEqual("calibration", error.ParamName);
        StringAssert.Contains(error.Message, "Class 2 ('c') has no image");
    }

    [TestMethod]
    public void DetectorMetrics_RefuseANaNThresholdAndNoScores()
    {
        Assert.AreEqual("threshold", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => DetectorMetrics.Compute([0.1f, 0.9f], [false, true], double.NaN)).ParamName);
        Assert.AreEqual("scores", Assert.ThrowsExactly<ArgumentException>(() => DetectorMetrics.BestThreshold([], [])).ParamName);
    }

    [TestMethod]
    public void Hopkins_OfOnePath_NamesThePaths()
    {
        var paths = SyntheticPaths.Planted(SyntheticPaths.Layout(4), classes: 1, perClass: 1, flip: 0, plantedLayers: [], seed: 1);
        Assert.AreEqual("paths", Assert.ThrowsExactly<ArgumentException>(() => HopkinsStatistic.PerLayer(paths)).ParamName);
    }

    [TestMethod]
    public void Report_IntoAFolderThatCannotBeCreated_FailsBeforeReadingTheData()
    {
        var ml = new MLContext(seed: 1);
        var train = ShapesGenerator.Generate(count: 64, seed: 91, imageSize: 16).Images;
        using var model = ml.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { Architecture = NetworkArchitecture.Vgg("8,16,M,16,16"), Epochs = 1, BatchSize = 32, Seed = 5 })
            .Fit(train.ToDataView(ml));
        string file = Path.GetTempFileName();
        try
        {
            string folder = Path.Combine(file, "report"); // below a file: cannot be created
            var error = Assert.ThrowsExactly<ArgumentException>(() => DecouplingReport.Write(model, train.ToDataView(ml), folder));
            Assert.AreEqual("folder", error.ParamName);
            StringAssert.Contains(error.Message, folder);
        }
        finally
        {
            File.Delete(file);
        }

        model.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => model.GetOutputSchema(train.ToDataView(ml).Schema));
    }

    private static ImageDataset Images(int count, int classes)
    {
        var random = new Random(5);
        float[] pixels = Enumerable.Range(0, count * Shape.Size).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, count).Select(i => i % classes).ToArray();
        return new ImageDataset(pixels, labels, 1, 16, 16, Enumerable.Range(0, classes).Select(c => $"class {c}").ToArray());
    }
}
