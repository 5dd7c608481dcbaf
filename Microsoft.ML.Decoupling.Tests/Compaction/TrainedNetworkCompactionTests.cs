using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Compacts a network trained briefly on real Fashion-MNIST images, calibrated on its training images.</summary>
[TestClass]
public sealed class TrainedNetworkCompactionTests
{
    private const int TrainCount = 512;
    private const int TestCount = 256;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Compact_TrainedNetwork_MatchesGatedOnReproducedTestImagesInTorchAndOnnx()
    {
        ImageDataset train = TestDatasets.LoadFashionMnistSubset(DataSplit.Train, TrainCount);
        ImageDataset test = TestDatasets.LoadFashionMnistSubset(DataSplit.Test, TestCount);
        using var gated = NetworkArchitecture.Vgg("8,16,M,16,32").Build(new ImageShape(train.Channels, train.Height, train.Width), train.ClassNames.Count, seed: 11);
        // A strong sparsity pull for two epochs leaves filters of every state (silent, energetic, dynamic).
        var settings = new TrainingSettings(
            Epochs: 2, BatchSize: 32, LearningRate: 0.1, Momentum: 0.9, WeightDecay: 1e-4,
            Weights: new LossWeights(MutualInformation: 0.04, KullbackLeibler: 1, Sparsity: 0.05, TargetRatio: 0.4), Seed: 11);
        new DecouplingTrainer(settings).Train(gated, train.Pixels, train.Labels);

        using var result = NetworkCompaction.Compact(gated, train.Pixels, train.Count, test.Pixels, test.Count);

        int length = gated.Description.PathLayout.PathLength;
        var (_, gatedPaths) = NetworkInference.Run(gated, test.Pixels, test.Count);
        int[] reproduced = Enumerable.Range(0, test.Count).Where(i => result.Reproduces(gatedPaths.AsSpan(i * length, length))).ToArray();
        Assert.AreEqual(test.Count - result.Evaluation!.Value.ChangedPaths, reproduced.Length);
        float[] pixels = reproduced.SelectMany(i => test.Pixels.AsSpan(i * test.ImageSize, test.ImageSize).ToArray()).ToArray();
        var (compactScores, compactPaths) = NetworkInference.Run(result.Network, pixels, reproduced.Length);
        int compared = TorchOnnxParity.Assert(gated, pixels, reproduced.Length, compactScores, compactPaths, 1e-4f);

        using var session = new InferenceSession(DecoupledNetworkOnnxExporter.Export(result.Network));
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [reproduced.Length, test.ImageSize]);
        using var outputs = session.Run(runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.Score, DecouplingColumnNames.Path]);
        float[] onnxScores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        int onnxCompared = TorchOnnxParity.Assert(result.Network, pixels, reproduced.Length, onnxScores, outputs[1].GetTensorDataAsSpan<float>().ToArray(), 1e-4f);

        Assert.IsGreaterThan(0, result.Layers.Sum(l => l.Filters - l.Kept), "The sparsity pull leaves silent filters to remove.");
        Assert.IsGreaterThanOrEqualTo(reproduced.Length * 0.95, compared);
        Assert.IsGreaterThanOrEqualTo(reproduced.Length * 0.95, onnxCompared);
        TestContext.WriteLine(
            $"Layers: {string.Join("; ", result.Layers.Select(l => $"{l.Layer} kept {l.Kept}/{l.Filters}{(l.GateDropped ? " gate dropped" : string.Empty)}{(l.AllSilent ? " all silent" : string.Empty)}"))}. "
            + $"FLOPs dense {result.Flops.Dense}, gated per path {result.Flops.GatedPerPath:F0} ({result.GatedReduction:F2}×), compact computed {result.Flops.CompactComputed} "
            + $"({result.CompactReduction:F2}×), compact per path {result.Flops.CompactPerPath:F0}. Test: {result.Evaluation!.Value.ChangedPaths}/{test.Count} paths changed "
            + $"({(double)result.Evaluation!.Value.ChangedPaths / test.Count:P1}), predictions agree {result.Evaluation!.Value.PredictionAgreement:P2}, max score diff on reproduced {result.Evaluation!.Value.MaxScoreDifference:E2}; "
            + $"ONNX vs torch compact max diff {onnxScores.Zip(compactScores, (a, b) => Math.Abs(a - b)).Max():E2}.");
    }
}
