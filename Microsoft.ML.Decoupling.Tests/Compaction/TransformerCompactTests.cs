using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary><see cref="DecoupledNetworkTransformer.Compact"/> on a fitted ML.NET transformer: data views in, a saved ONNX model out.</summary>
[TestClass]
public sealed class TransformerCompactTests
{
    [TestMethod]
    public void Compact_FromDataViews_CountsChangedTestPathsAndSavesOnnx()
    {
        var train = ShapesGenerator.Generate(count: 96, seed: 61, imageSize: 16).Images;
        var test = ShapesGenerator.Generate(count: 48, seed: 62, imageSize: 16).Images;
        var ml = new MLContext(seed: 1);
        using var model = Fit(ml, train);
        var testView = test.ToDataView(ml);

        using var result = model.Compact(train.ToDataView(ml), testView);

        var layout = model.PathLayout;
        var testPaths = model.Transform(testView).GetColumn<VBuffer<float>>(model.Columns.Path).Select(p => p.DenseValues().ToArray()).ToArray();
        Assert.AreEqual(test.Count, result.Evaluation!.Value.Images);
        Assert.AreEqual(testPaths.Count(p => !result.Reproduces(p)), result.Evaluation!.Value.ChangedPaths);
        Assert.AreEqual(train.Count, result.CalibrationImages);
        Assert.AreEqual(layout.Layers.Sum(l => l.Filters), result.Layers.Sum(l => l.Filters));
        Assert.IsLessThanOrEqualTo(result.Flops.Dense, result.Flops.CompactComputed);

        string file = Path.Combine(Path.GetTempPath(), $"compact-{Guid.NewGuid():N}.onnx");
        try
        {
            result.SaveOnnx(file);
            using var session = new InferenceSession(file);
            Assert.AreEqual(layout.PathLength, session.OutputMetadata[DecouplingColumnNames.Path].Dimensions[1]);
        }
        finally
        {
            File.Delete(file);
        }

        var noImages = ml.Transforms.DropColumns(model.Columns.Feature).Fit(testView).Transform(testView);
        var exception = Assert.ThrowsExactly<ArgumentException>(() => model.Compact(noImages));
        Assert.AreEqual("calibration", exception.ParamName);
    }

    [TestMethod]
    public void CompactModel_IsATransformerWithTheSameColumns_ThatSavesAndLoads()
    {
        var train = ShapesGenerator.Generate(count: 96, seed: 71, imageSize: 16).Images;
        var test = ShapesGenerator.Generate(count: 40, seed: 72, imageSize: 16).Images;
        var ml = new MLContext(seed: 1);
        using var model = Fit(ml, train);
        var testView = test.ToDataView(ml);
        using var result = model.Compact(train.ToDataView(ml), testView);
        var compact = result.Model!;
        Assert.IsTrue(compact.Network.IsCompact);
        Assert.AreSame(result.Network, compact.Network);
        Assert.IsNull(compact.Columns.Responses, "A compact graph does not compute removed filters, so it has no Responses column.");

        // Same Score, PredictedLabel and Path columns as the gated model; the scores are the compact network's own.
        var scored = compact.Transform(testView);
        foreach (string column in new[] { model.Columns.Score, model.Columns.PredictedLabel, model.Columns.Path })
        {
            Assert.AreEqual(model.Transform(testView).Schema[column].Type, scored.Schema[column].Type, column);
        }

        Assert.IsNull(scored.Schema.GetColumnOrNull(DecouplingColumnNames.Responses));
        float[] scores = scored.GetColumn<VBuffer<float>>(compact.Columns.Score).SelectMany(v => v.DenseValues()).ToArray();
        float[] paths = scored.GetColumn<VBuffer<float>>(compact.Columns.Path).SelectMany(v => v.DenseValues()).ToArray();
        var (torchScores, torchPaths) = Inference.NetworkInference.Run(result.Network, test.Pixels, test.Count);
        CollectionAssert.AreEqual(torchPaths, paths, "Paths as TorchSharp's compact network computes them.");
        Assert.IsLessThan(1e-4, scores.Zip(torchScores, (a, b) => Math.Abs(a - b)).Max());

        // Saved and loaded with mlContext.Model, as the gated model is.
        string file = Path.Combine(Path.GetTempPath(), $"compact-model-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(compact, testView.Schema, file);
            var loaded = ml.Model.Load(file, out _);
            float[] reloaded = loaded.Transform(testView).GetColumn<VBuffer<float>>(compact.Columns.Score).SelectMany(v => v.DenseValues()).ToArray();
            CollectionAssert.AreEqual(scores, reloaded);
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(file);
        }

        Assert.ThrowsExactly<InvalidOperationException>(() => compact.Compact(train.ToDataView(ml)));
        Assert.ThrowsExactly<InvalidOperationException>(() => compact.MeasurePathQuality(testView));
        Assert.ThrowsExactly<ArgumentException>(() => Compaction.NetworkCompaction.Compact(result.Network, test.Pixels, test.Count));
    }

    /// <summary>One epoch of a small gated VGG with a strong sparsity pull, so that compaction has filters to remove.</summary>
    private static DecoupledNetworkTransformer Fit(MLContext ml, ImageDataset train)
    {
        var options = new DecoupleNetworkEstimator.Options
        {
            Architecture = NetworkArchitecture.Vgg("8,16,M,16,16"),
            Epochs = 1,
            BatchSize = 32,
            LearningRate = 0.05,
            SparsityWeight = 0.05,
            TargetRatio = 0.5,
            Seed = 5,
        };
        return ml.Transforms.DecoupleNetwork(options).Fit(train.ToDataView(ml));
    }
}
