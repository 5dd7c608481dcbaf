using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;
using TorchSharp;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class DecouplingTrainerTests
{
    private const string SmallLayout = "8,16,M,16,32";

    private static TrainingSettings Settings(int epochs, double mutualInformation = 0.04, double sparsity = 2e-4, double targetRatio = 0) =>
        new(epochs, 64, 0.05, 0.9, 1e-4, new LossWeights(mutualInformation, 1, sparsity, targetRatio), 3);

    [TestMethod]
    public void Train_OnShapes_LossFallsAndAccuracyRises()
    {
        var data = ShapesGenerator.Generate(count: 1200, seed: 11, imageSize: 16).Images;
        using var network = NetworkArchitecture.Vgg(SmallLayout).Build(new ImageShape(1, 16, 16), data.ClassNames.Count, seed: 3);
        var reports = new DecouplingTrainer(Settings(4)).Train(network, data.Pixels, data.Labels);
        Assert.AreEqual(4, reports.Count);
        Assert.IsTrue(reports[^1].Total < 0.7 * reports[0].Total, $"loss {reports[0].Total:F3} → {reports[^1].Total:F3}");
        Assert.IsTrue(reports[^1].CrossEntropy < reports[0].CrossEntropy);
        Assert.IsTrue(reports[^1].TrainAccuracy > 0.45, $"train accuracy {reports[^1].TrainAccuracy:P1}");
        Assert.IsFalse(network.training, "the trainer leaves the network in evaluation mode");
    }

    [TestMethod]
    public void Train_WithMutualInformation_MakesSomeFiltersDynamic()
    {
        var data = ShapesGenerator.Generate(count: 1200, seed: 12, imageSize: 16).Images;
        using var network = NetworkArchitecture.Vgg(SmallLayout).Build(new ImageShape(1, 16, 16), data.ClassNames.Count, seed: 4);
        // A short run: a strong λm, and Ls with R = 0.5 to pull the gates from "all open" towards choosing.
        new DecouplingTrainer(Settings(4, mutualInformation: 0.5, sparsity: 0.05, targetRatio: 0.5)).Train(network, data.Pixels, data.Labels);
        var test = ShapesGenerator.Generate(count: 300, seed: 99, imageSize: 16).Images;
        var (_, paths) = NetworkInference.Run(network, test.Pixels, test.Count);
        int pathLength = network.Description.PathLayout.PathLength;
        var rows = Enumerable.Range(0, test.Count).Select(i => paths.AsSpan(i * pathLength, pathLength).ToArray());
        var states = FilterStateCounts.FromPaths(rows, pathLength);
        Assert.IsTrue(states.Dynamic > 0, $"energetic {states.Energetic}, silent {states.Silent}, dynamic {states.Dynamic}");
        Assert.AreEqual(pathLength, states.Energetic + states.Silent + states.Dynamic);
    }

    [TestMethod]
    public void Train_SameSeed_GivesIdenticalLosses()
    {
        var data = ShapesGenerator.Generate(count: 256, seed: 13, imageSize: 16).Images;
        double[] Run()
        {
            using var network = NetworkArchitecture.Vgg(SmallLayout).Build(new ImageShape(1, 16, 16), data.ClassNames.Count, seed: 5);
            return new DecouplingTrainer(Settings(2)).Train(network, data.Pixels, data.Labels).Select(r => r.Total).ToArray();
        }

        CollectionAssert.AreEqual(Run(), Run());
    }

    [TestMethod]
    public void Settings_OutOfRange_AreRejectedByTheTrainerNamingTheSetting()
    {
        var good = Settings(1);
        var cases = new (string Setting, TrainingSettings Settings)[]
        {
            ("Epochs", good with { Epochs = 0 }),
            ("BatchSize", good with { BatchSize = 0 }),
            ("LearningRate", good with { LearningRate = double.NaN }),
            ("LearningRate", good with { LearningRate = double.PositiveInfinity }),
            ("LearningRate", good with { LearningRate = 0 }),
            ("Momentum", good with { Momentum = 1 }),
            ("WeightDecay", good with { WeightDecay = -1e-4 }),
            ("Weights.MutualInformation", good with { Weights = good.Weights with { MutualInformation = -1 } }),
            ("Weights.KullbackLeibler", good with { Weights = good.Weights with { KullbackLeibler = double.NaN } }),
            ("Weights.Sparsity", good with { Weights = good.Weights with { Sparsity = 2e6 } }),
            ("Weights.TargetRatio", good with { Weights = good.Weights with { TargetRatio = 1.5 } }),
            ("GradientClipNorm", good with { GradientClipNorm = 0 }),
            ("GradientClipNorm", good with { GradientClipNorm = double.NaN }),
            ("GradientClipNorm", good with { GradientClipNorm = double.PositiveInfinity }),
        };
        foreach (var (setting, settings) in cases)
        {
            var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DecouplingTrainer(settings), setting);
            Assert.AreEqual(setting, error.ParamName);
            StringAssert.Contains(error.Message, setting);
        }

        Assert.AreEqual("Weights", Assert.ThrowsExactly<ArgumentNullException>(() => new DecouplingTrainer(good with { Weights = null! })).ParamName);
        Assert.AreEqual("CheckpointPath", Assert.ThrowsExactly<ArgumentException>(() => new DecouplingTrainer(good with { CheckpointPath = Path.GetTempPath() })).ParamName);
        Assert.AreEqual("CheckpointPath", Assert.ThrowsExactly<ArgumentException>(() => new DecouplingTrainer(good with { CheckpointPath = " " })).ParamName);
        _ = new DecouplingTrainer(good with { GradientClipNorm = 1 });
    }

    [TestMethod]
    public void TrainingEpoch_LeaksNoTensors()
    {
        var data = ShapesGenerator.Generate(count: 256, seed: 14, imageSize: 16).Images;
        using var network = NetworkArchitecture.Vgg(SmallLayout).Build(new ImageShape(1, 16, 16), data.ClassNames.Count, seed: 6);
        var trainer = new DecouplingTrainer(Settings(1));
        trainer.Train(network, data.Pixels, data.Labels); // warm-up: lazily created state is not a leak
        DisposeScopeManager.Statistics.Reset();
        trainer.Train(network, data.Pixels, data.Labels);
        NetworkInference.Run(network, data.Pixels, data.Count);
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.AreEqual(0, live, $"tensors left alive after an epoch and an inference pass: {DisposeScopeManager.Statistics}");
    }
}
