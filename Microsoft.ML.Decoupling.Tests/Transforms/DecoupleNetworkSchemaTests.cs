using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Bad input is rejected before any training, with the column or option named.</summary>
[TestClass]
public sealed class DecoupleNetworkSchemaTests
{
    private static readonly MLContext MlContext = new(seed: 1);

    private static IDataView Shapes(int count = 16) => ShapesGenerator.Generate(count: count, seed: 1, imageSize: 16).Images.ToDataView(MlContext);

    [TestMethod]
    public void Fit_MissingImageColumn_NamesIt()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            MlContext.Transforms.DecoupleNetwork(featureColumnName: "Pixels").Fit(Shapes()));
        StringAssert.Contains(ex.Message, "'Pixels'");
    }

    [TestMethod]
    public void Fit_WrongVectorSize_NamesTheColumnAndTheExpectedShape()
    {
        var options = new DecoupleNetworkEstimator.Options { ImageHeight = 28, ImageWidth = 28 };
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MlContext.Transforms.DecoupleNetwork(options).Fit(Shapes()));
        StringAssert.Contains(ex.Message, "'Image'");
        StringAssert.Contains(ex.Message, "784");
    }

    [TestMethod]
    public void Fit_NonSquareSizeWithoutGeometry_AsksForHeightAndWidth()
    {
        var options = new DecoupleNetworkEstimator.Options { ImageChannels = 3 };
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MlContext.Transforms.DecoupleNetwork(options).Fit(Shapes()));
        StringAssert.Contains(ex.Message, "ImageHeight");
    }

    [TestMethod]
    public void Fit_ImageOfWrongItemType_IsRejected()
    {
        var data = MlContext.Data.LoadFromEnumerable(new[] { new TextRow { Image = "x", Label = 1 } });
        var keyed = MlContext.Transforms.Conversion.MapValueToKey(DecouplingColumnNames.Label).Fit(data).Transform(data);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MlContext.Transforms.DecoupleNetwork().Fit(keyed));
        StringAssert.Contains(ex.Message, "Vector<Single>");
    }

    [TestMethod]
    public void Fit_LabelThatIsNotAKey_NamesTheLabel()
    {
        var raw = MlContext.Transforms.Conversion.MapKeyToValue(DecouplingColumnNames.Label).Fit(Shapes()).Transform(Shapes());
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MlContext.Transforms.DecoupleNetwork().Fit(raw));
        StringAssert.Contains(ex.Message, "'Label'");
        StringAssert.Contains(ex.Message, "key");
    }

    [TestMethod]
    [DataRow("Epochs", 0)]
    [DataRow("TargetRatio", 1.5)]
    [DataRow("BatchSize", -1)]
    [DataRow("LearningRate", 0.0)]
    [DataRow("MutualInformationWeight", -0.1)]
    [DataRow("KullbackLeiblerWeight", double.NaN)]
    [DataRow("SparsityWeight", 2e6)]
    [DataRow("Momentum", 1.0)]
    [DataRow("GradientClipNorm", 0.0)]
    [DataRow("GradientClipNorm", double.PositiveInfinity)]
    public void Options_OutOfRange_AreRejectedAtConstruction(string option, double value)
    {
        var options = new DecoupleNetworkEstimator.Options();
        var property = typeof(DecoupleNetworkEstimator.Options).GetProperty(option)!;
        property.SetValue(options, property.PropertyType == typeof(int) ? (object)(int)value : value);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MlContext.Transforms.DecoupleNetwork(options));
        Assert.AreEqual(option, ex.ParamName);
    }

    [TestMethod]
    public void Options_BadLayout_NamesTheEntry()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() =>
            NetworkArchitecture.Vgg("16,x,32"));
        Assert.AreEqual("layout", ex.ParamName);
        StringAssert.Contains(ex.Message, "'x'");
    }

    [TestMethod]
    public void Fit_NaNPixel_NamesTheColumnAndTheRow()
    {
        var image = new float[256];
        image[17] = float.NaN;
        var data = MlContext.Data.LoadFromEnumerable(new[] { new NanRow { Image = new float[256], Label = 0 }, new NanRow { Image = image, Label = 1 } });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() =>
            MlContext.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4") }).Fit(data));
        StringAssert.Contains(ex.Message, "'Image'");
        StringAssert.Contains(ex.Message, "row 1");
    }

    [TestMethod]
    public void Fit_UnscaledPixels_AreRejectedWithAHint()
    {
        // Bytes that were never divided by 255: a common slip, rejected instead of training on garbage.
        var data = MlContext.Data.LoadFromEnumerable(new[] { new NanRow { Image = Enumerable.Repeat(255f, 256).ToArray(), Label = 0 } });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() =>
            MlContext.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4") }).Fit(data));
        StringAssert.Contains(ex.Message, "[0, 1]");
        StringAssert.Contains(ex.Message, "255");
    }

    [TestMethod]
    public void Fit_NoRows_OrOnlyUnlabelledRows_SaysWhich()
    {
        var estimator = MlContext.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4") });

        var empty = Assert.ThrowsExactly<ArgumentException>(() => estimator.Fit(MlContext.Data.LoadFromEnumerable(Array.Empty<NanRow>())));
        StringAssert.StartsWith(empty.Message, "The training data has no rows.");

        // uint.MaxValue is ML.NET's missing key once LoadFromEnumerable has shifted the values by one.
        var unlabelled = Enumerable.Range(0, 3).Select(_ => new NanRow { Image = new float[256], Label = uint.MaxValue }).ToArray();
        var none = Assert.ThrowsExactly<ArgumentException>(() => estimator.Fit(MlContext.Data.LoadFromEnumerable(unlabelled)));
        StringAssert.StartsWith(none.Message, "The training data's 3 rows all have a missing 'Label'");
    }

    [TestMethod]
    public void Fit_SomeUnlabelledRows_OrAWarmupAsLongAsTheRun_AreWarnedAbout()
    {
        var context = new MLContext(seed: 1);
        var warnings = LogWarnings.Of(context);
        var rows = Enumerable.Range(0, 10).Select(i => new NanRow { Image = Enumerable.Repeat(i % 2 * 0.5f, 256).ToArray(), Label = i < 2 ? uint.MaxValue : (uint)(i % 2) }).ToArray();

        using var model = context.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4"), Seed = 1 })
            .Fit(context.Data.LoadFromEnumerable(rows));

        CollectionAssert.Contains(warnings.Messages.ToList(), "2 rows with a missing 'Label' were skipped, as ML.NET's trainers skip them.");
        Assert.IsFalse(warnings.Messages.Any(w => w.Contains("SparsityWarmupEpochs", StringComparison.Ordinal)));

        using var warmedUp = context.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { Epochs = 2, SparsityWarmupEpochs = 4, Architecture = NetworkArchitecture.Vgg("4,4,4"), Seed = 1 })
            .Fit(context.Data.LoadFromEnumerable(rows));

        CollectionAssert.Contains(warnings.Messages.ToList(), "SparsityWarmupEpochs (4) is not below Epochs (2): λs ramps in over the whole run and its last epoch trains with 25 % of SparsityWeight.");
    }

    [TestMethod]
    public void Options_SameNameForTwoColumns_IsRejectedBeforeTraining()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() =>
            MlContext.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { PathColumnName = DecouplingColumnNames.Score }));
        Assert.AreEqual("PathColumnName", ex.ParamName);
        ex = Assert.ThrowsExactly<ArgumentException>(() =>
            MlContext.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { PredictedLabelColumnName = DecouplingColumnNames.Image }));
        Assert.AreEqual("PredictedLabelColumnName", ex.ParamName);
    }

    private sealed class NanRow
    {
        [Microsoft.ML.Data.VectorType(256)]
        public float[] Image { get; set; } = [];

        [Microsoft.ML.Data.KeyType(2)]
        public uint Label { get; set; }
    }

    private sealed class TextRow
    {
        public string Image { get; set; } = "";

        public uint Label { get; set; }
    }
}
