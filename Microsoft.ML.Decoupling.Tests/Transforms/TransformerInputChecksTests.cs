using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Bad input at inference and before training: image size, pixels that are not finite values in [0, 1], an unwritable checkpoint path.</summary>
[TestClass]
public sealed class TransformerInputChecksTests
{
    private static readonly MLContext MlContext = new(seed: 1);
    private static DecoupledNetworkTransformer? _model;

    private static DecoupledNetworkTransformer Model => _model ??= MlContext.Transforms
        .DecoupleNetwork(new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4"), Seed = 1 })
        .Fit(Shapes(16));

    [ClassCleanup]
    public static void DisposeModel() => _model?.Dispose();

    private static IDataView Shapes(int imageSize) => ShapesGenerator.Generate(count: 8, seed: 1, imageSize: imageSize).Images.ToDataView(MlContext);

    [TestMethod]
    public void TransformAndGetOutputSchema_OnImagesOfAnotherSize_NameTheColumnAndBothSizes()
    {
        var other = Shapes(20);
        foreach (var call in new Action[] { () => Model.Transform(other), () => Model.GetOutputSchema(other.Schema), () => Model.GetRowToRowMapper(other.Schema) })
        {
            var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(call);
            StringAssert.Contains(error.Message, "'Image'");
            StringAssert.Contains(error.Message, "400 values");
            StringAssert.Contains(error.Message, "Vector<Single, 256>");
            StringAssert.Contains(error.Message, "1×16×16");
        }
    }

    [TestMethod]
    public void Transform_NaNPixel_FailsNamingTheColumnRowAndIndex_UnlessTheCheckIsOff()
    {
        var image = new float[256];
        image[17] = float.NaN;
        var data = MlContext.Data.LoadFromEnumerable(new[] { new Row { Image = new float[256], Label = 1 }, new Row { Image = image, Label = 2 } });

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Scores(Model.Transform(data)));
        StringAssert.Contains(error.Message, "'Image'");
        StringAssert.Contains(error.Message, "NaN at index 17 of row 1");
        StringAssert.Contains(error.Message, "CheckPixels");

        using var engine = MlContext.Model.CreatePredictionEngine<Row, Prediction>(Model, new PredictionEngineOptions { OwnsTransformer = false });
        error = Assert.ThrowsExactly<InvalidOperationException>(() => engine.Predict(new Row { Image = image, Label = 2 }));
        StringAssert.Contains(error.Message, "NaN at index 17");

        using var unchecked_ = MlContext.Transforms
            .DecoupleNetwork(new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4"), Seed = 1, CheckPixels = false })
            .Fit(Shapes(16));
        var scores = Scores(unchecked_.Transform(data));
        Assert.IsTrue(float.IsNaN(scores[1][0]), "without the check the NaN goes through, as documented");
    }

    [TestMethod]
    public void Transform_PixelOutsideTheUnitRange_FailsAsInTraining_NamingTheValueAndTheRange()
    {
        foreach (float bad in new[] { 255f, 1.0001f, -0.5f, float.PositiveInfinity })
        {
            var image = new float[256];
            image[3] = bad;
            var data = MlContext.Data.LoadFromEnumerable(new[] { new Row { Image = image, Label = 1 } });

            var error = Assert.ThrowsExactly<InvalidOperationException>(() => Scores(Model.Transform(data)));
            StringAssert.Contains(error.Message, "'Image'");
            StringAssert.Contains(error.Message, $"holds {bad} at index 3 of row 0");
            StringAssert.Contains(error.Message, "trained on finite values in [0, 1] (divide bytes by 255)");

            using var engine = MlContext.Model.CreatePredictionEngine<Row, Prediction>(Model, new PredictionEngineOptions { OwnsTransformer = false });
            error = Assert.ThrowsExactly<InvalidOperationException>(() => engine.Predict(new Row { Image = image, Label = 1 }));
            StringAssert.Contains(error.Message, $"holds {bad} at index 3");
        }

        var edges = new float[256];
        edges[0] = 1f;
        Assert.HasCount(1, Scores(Model.Transform(MlContext.Data.LoadFromEnumerable(new[] { new Row { Image = edges, Label = 1 } }))), "0 and 1 are pixels");
    }

    [TestMethod]
    public void Compact_PixelOutsideTheUnitRange_IsRefusedAsInScoring_UnlessTheCheckIsOff()
    {
        var images = Enumerable.Range(0, 4).Select(i => new Row { Image = new float[256], Label = 1 }).ToArray();
        images[2].Image[5] = 255f;
        var bad = MlContext.Data.LoadFromEnumerable(images);
        var good = Shapes(16);

        var calibration = Assert.ThrowsExactly<ArgumentException>(() => Model.Compact(bad));
        Assert.AreEqual("calibration", calibration.ParamName);
        StringAssert.Contains(calibration.Message, "'Image' holds 255 at index 5 of row 2");
        StringAssert.Contains(calibration.Message, "CheckPixels");
        var evaluation = Assert.ThrowsExactly<ArgumentException>(() => Model.Compact(good, bad));
        Assert.AreEqual("evaluation", evaluation.ParamName);

        using var unchecked_ = MlContext.Transforms
            .DecoupleNetwork(new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4"), Seed = 1, CheckPixels = false })
            .Fit(good);
        using var compact = unchecked_.Compact(bad);
        Assert.HasCount(8, Scores(compact.Model!.Transform(good)), "without the check compaction uses the values as given, as scoring does");
    }

    [TestMethod]
    public void Fit_WithACheckpointPathThatCannotBeWritten_FailsBeforeReadingTheData()
    {
        string folder = TestDatasets.CreateTempDirectory("decoupling-unwritable");
        try
        {
            string aFile = Path.Combine(folder, "a-file");
            File.WriteAllText(aFile, "not a folder");
            string checkpoint = Path.Combine(aFile, "run.ckpt"); // its "folder" is a file: cannot be created, even by root
            var options = new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4"), CheckpointPath = checkpoint };
            var estimator = MlContext.Transforms.DecoupleNetwork(options);

            var error = Assert.ThrowsExactly<IOException>(() => estimator.Fit(new ThrowingDataView(Shapes(16))));
            StringAssert.Contains(error.Message, "CheckpointPath");
            StringAssert.Contains(error.Message, checkpoint);
            CollectionAssert.AreEqual(new[] { aFile }, Directory.GetFileSystemEntries(folder), "no probe file is left behind");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<float[]> Scores(IDataView data) =>
        [.. MlContext.Data.CreateEnumerable<Prediction>(data, reuseRowObject: false).Select(p => p.Score)];

    private sealed class Row
    {
        [VectorType(256)]
        public float[] Image { get; set; } = [];

        [KeyType(6)]
        public uint Label { get; set; }
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    // The data's schema is fine, but reading any row fails: the checkpoint check must come first.
    private sealed class ThrowingDataView(IDataView inner) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => null;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            throw new InvalidOperationException("the data was read before the checkpoint path was checked");

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            throw new InvalidOperationException("the data was read before the checkpoint path was checked");
    }
}
