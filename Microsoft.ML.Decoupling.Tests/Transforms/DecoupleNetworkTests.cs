using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>The ML.NET workout: schema, evaluation, logging, save/load, attack and detection on one trained model.</summary>
[TestClass]
public sealed class DecoupleNetworkTests
{
    private static readonly List<string> Log = [];
    private static MLContext _mlContext = null!;
    private static ShapesDataset _train = null!;
    private static ShapesDataset _test = null!;
    private static DecoupledNetworkTransformer _model = null!;

    [ClassInitialize]
    public static void TrainOnce(TestContext context)
    {
        _ = context;
        _mlContext = new MLContext(seed: 1);
        _mlContext.Log += (_, e) =>
        {
            if (e.Source.Contains(nameof(DecoupleNetworkEstimator), StringComparison.Ordinal))
            {
                lock (Log)
                {
                    Log.Add(e.RawMessage);
                }
            }
        };
        _train = ShapesGenerator.Generate(count: 3000, seed: 21);
        _test = ShapesGenerator.Generate(count: 1000, seed: 22);
        _model = _mlContext.Transforms.DecoupleNetwork(QuickOptions()).Fit(_train.Images.ToDataView(_mlContext));
    }

    [ClassCleanup]
    public static void Cleanup() => _model?.Dispose();

    private static DecoupleNetworkEstimator.Options QuickOptions()
    {
        // The Quickstart's short-budget settings on the default layout.
        var options = DecoupleNetworkEstimator.Options.ForShortTraining();
        options.Epochs = 3;
        options.Seed = 5;
        return options;
    }

    [TestMethod]
    public void Transform_AddsScorePredictedLabelAndPathWithTheLabelsKeyValues()
    {
        var view = _test.Images.ToDataView(_mlContext);
        var output = _model.Transform(view);
        var score = output.Schema[DecouplingColumnNames.Score];
        var path = output.Schema[DecouplingColumnNames.Path];
        var predicted = output.Schema[DecouplingColumnNames.PredictedLabel];
        CollectionAssert.AreEqual(new[] { 6 }, ((VectorDataViewType)score.Type).Dimensions.ToArray(), "Score is a plain vector of K");
        CollectionAssert.AreEqual(new[] { _model.PathLayout.PathLength }, ((VectorDataViewType)path.Type).Dimensions.ToArray());
        Assert.AreEqual(32 + 64 + 64 + 128, _model.PathLayout.PathLength); // conv1..conv4 of 32,32,M,64,64,M,128,128
        var predictedKey = (KeyDataViewType)predicted.Type; // a scalar key, as ML.NET trainers emit it
        Assert.AreEqual(6UL, predictedKey.Count);
        VBuffer<ReadOnlyMemory<char>> names = default;
        predicted.Annotations.GetValue("KeyValues", ref names);
        CollectionAssert.AreEqual(ShapesGenerator.ClassNames.ToArray(), names.DenseValues().Select(n => n.ToString()).ToArray());

        var bits = output.GetColumn<VBuffer<float>>(DecouplingColumnNames.Path).SelectMany(p => p.DenseValues()).ToArray();
        Assert.IsTrue(bits.All(b => b is 0f or 1f), "path values are 0/1");
        var scores = output.GetColumn<VBuffer<float>>(DecouplingColumnNames.Score).Select(s => s.DenseValues().ToArray()).ToArray();
        Assert.IsTrue(scores.All(s => Math.Abs(s.Sum() - 1) < 1e-4), "scores are probabilities");
        var predictedKeys = output.GetColumn<uint>(DecouplingColumnNames.PredictedLabel).ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.AreEqual((uint)Array.IndexOf(scores[i], scores[i].Max()) + 1, predictedKeys[i], "PredictedLabel is the arg-max of Score");
        }

        Assert.IsNull(output.Schema.GetColumnOrNull("DecouplingNetworkScore"), "no scratch column leaks out");
    }

    [TestMethod]
    public void Evaluate_WorksOnTheOutputAndTheNetworkLearned()
    {
        var metrics = _mlContext.MulticlassClassification.Evaluate(_model.Transform(_test.Images.ToDataView(_mlContext)));
        Assert.IsTrue(metrics.MicroAccuracy > 0.8, $"accuracy {metrics.MicroAccuracy:P1}");
    }

    [TestMethod]
    public void Fit_LogsEveryLossTermAccuracyAndActiveRatioPerEpoch()
    {
        string[] epochs;
        lock (Log)
        {
            epochs = Log.Where(l => l.StartsWith("epoch ", StringComparison.Ordinal) && l.Contains(" lr ", StringComparison.Ordinal)).ToArray();
        }

        Assert.AreEqual(3, epochs.Length, string.Join('\n', epochs));
        foreach (string term in new[] { "ce ", "mi ", "kl ", "sparsity ", "train-acc ", "active " })
        {
            Assert.IsTrue(epochs.All(l => l.Contains(term, StringComparison.Ordinal)), $"'{term}' missing in: {epochs[0]}");
        }

        Assert.AreEqual(3, _model.TrainingHistory.Count);
    }

    [TestMethod]
    public void SaveAndLoad_InAFreshContext_GivesIdenticalColumns()
    {
        string directory = TestDatasets.CreateTempDirectory("decoupling-save");
        try
        {
            var view = _test.Images.ToDataView(_mlContext);
            string file = Path.Combine(directory, "model.zip");
            _mlContext.Model.Save(_model, view.Schema, file);

            var fresh = new MLContext(seed: 99);
            var loaded = fresh.Model.Load(file, out var inputSchema);
            Assert.IsNotNull(inputSchema.GetColumnOrNull(DecouplingColumnNames.Image));
            var before = _model.Transform(view);
            var after = loaded.Transform(_test.Images.ToDataView(fresh));
            foreach (string column in new[] { DecouplingColumnNames.Score, DecouplingColumnNames.Path })
            {
                var a = before.GetColumn<VBuffer<float>>(column).SelectMany(v => v.DenseValues()).ToArray();
                var b = after.GetColumn<VBuffer<float>>(column).SelectMany(v => v.DenseValues()).ToArray();
                CollectionAssert.AreEqual(a, b, column);
            }

            var p1 = before.GetColumn<uint>(DecouplingColumnNames.PredictedLabel).ToArray();
            var p2 = after.GetColumn<uint>(DecouplingColumnNames.PredictedLabel).ToArray();
            CollectionAssert.AreEqual(p1, p2);
            Assert.IsTrue(p1.All(k => k is >= 1 and <= 6));
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void Fgsm_StaysWithinEpsilonAndTheUnitRange()
    {
        var images = _test.Images.Slice(0, 64);
        var adversarial = FastGradientSignMethod.Attack(_model.Network, images.Pixels, images.Labels, 0.05);
        for (int i = 0; i < adversarial.Length; i++)
        {
            Assert.IsTrue(adversarial[i] is >= 0f and <= 1f);
            Assert.IsTrue(Math.Abs(adversarial[i] - images.Pixels[i]) <= 0.05f + 1e-6f);
        }

        Assert.IsTrue(adversarial.Zip(images.Pixels).Count(p => p.First != p.Second) > adversarial.Length / 2, "most pixels move");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => FastGradientSignMethod.Attack(_model.Network, images.Pixels, images.Labels, 0));
    }
}
