using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Decoupling.Transforms;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class DivergenceTests
{
    private const string SmallLayout = "8,16,M,16,32";
    // Large enough for a finite loss far above ln K after one epoch, small enough that nothing overflows.
    private const double LearningRateForHugeLoss = 1e4;
    private static readonly ImageShape _shape = new(1, 16, 16);
    private static readonly ImageDataset _data = ShapesGenerator.Generate(count: 64, seed: 31, imageSize: 16).Images;
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-divergence");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static TrainingSettings Settings(string? checkpoint, double learningRate = 0.05, int epochs = 3) =>
        new(epochs, 32, learningRate, 0.9, 1e-4, new LossWeights(0.5, 1, 0.05, 0.5), 3) { CheckpointPath = checkpoint };

    private static DecoupledNetwork NewNetwork(int initSeed) =>
        NetworkArchitecture.Vgg(SmallLayout).Build(_shape, _data.ClassNames.Count, seed: initSeed);

    private string[] FilesInFolder() => Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static void AssertHint(TrainingDivergedException error)
    {
        StringAssert.Contains(error.Message, $"epoch {error.Epoch}, batch {error.Batch}");
        StringAssert.Contains(error.Message, "LearningRate");
        StringAssert.Contains(error.Message, "λm, λk, λs");
        StringAssert.Contains(error.Message, "GradientClipNorm");
        StringAssert.Contains(error.Message, "'CPU convolution fault'");
    }

    [TestMethod]
    public void NonFiniteLoss_StopsBeforeTheUpdate_KeepingTheNetworkAndTheLastCheckpoint()
    {
        string path = Path.Combine(_folder, "run.ckpt");
        using var network = NewNetwork(7);
        byte[]? checkpointOfEpoch1 = null;
        StateDictSnapshot? poisoned = null;
        void PoisonAfterTheFirstEpoch(EpochReport report)
        {
            // The checkpoint of epoch 1 is on disk; then a NaN weight, as a diverging update leaves one.
            checkpointOfEpoch1 = File.ReadAllBytes(path);
            using (no_grad())
            {
                network.named_parameters().Single(p => p.name == "features.0.weight").parameter.view(-1)[0].fill_(float.NaN);
            }

            poisoned = StateDictSnapshot.Of(network);
        }

        var error = Assert.ThrowsExactly<TrainingDivergedException>(
            () => new DecouplingTrainer(Settings(path), PoisonAfterTheFirstEpoch).Train(network, _data.Pixels, _data.Labels));

        Assert.AreEqual((2, 1, TrainingTerm.CrossEntropy), (error.Epoch, error.Batch, error.Term), error.Message);
        StringAssert.Contains(error.Message, "the cross-entropy loss (Lce) is NaN");
        StringAssert.Contains(error.Message, "The update was not applied");
        AssertHint(error);
        // Parameters and BatchNorm statistics (which the failing forward pass had already updated) are those before the batch.
        StateDictSnapshot.AssertIdentical(poisoned!, StateDictSnapshot.Of(network), "after the failing batch");
        CollectionAssert.AreEqual(checkpointOfEpoch1, File.ReadAllBytes(path), "the checkpoint keeps epoch 1");
        CollectionAssert.AreEqual(new[] { "run.ckpt" }, FilesInFolder());
    }

    [TestMethod]
    public void HugeLearningRate_StopsTheFit_AndTheCheckpointKeepsTheLastGoodEpoch()
    {
        // lr·weight decay = 100: every step multiplies the weights by about −99, so they overflow after a few epochs of
        // two batches. Before the check, training went on with NaN losses and the checkpoint write failed on them.
        string path = Path.Combine(_folder, "run.ckpt");
        var checkpoints = new Dictionary<int, byte[]>();
        using var network = NewNetwork(7);
        var error = Assert.ThrowsExactly<TrainingDivergedException>(
            () => new DecouplingTrainer(Settings(path, learningRate: 1e6, epochs: 6), r => checkpoints[r.Epoch] = File.ReadAllBytes(path))
                .Train(network, _data.Pixels, _data.Labels));

        AssertHint(error);
        Assert.IsGreaterThanOrEqualTo(2, error.Epoch, $"the first epoch must finish for this test: {error.Message}");
        var header = TrainingCheckpoint.ReadHeader(path).Header;
        Assert.AreEqual(error.Epoch - 1, header.CompletedEpochs);
        CollectionAssert.AreEqual(checkpoints[error.Epoch - 1], File.ReadAllBytes(path), "the last good epoch's checkpoint, untouched");
        Assert.IsTrue(header.History.All(r => double.IsFinite(r.Total)), "only finished, finite epochs are in the history");
        CollectionAssert.AreEqual(new[] { "run.ckpt" }, FilesInFolder());
    }

    [TestMethod]
    public void UpdateThatOverflows_IsCaughtAfterTheStep_OnTheLastBatch()
    {
        // One batch of one epoch: the loss is finite, the update is not, and no later batch would notice.
        using var network = NewNetwork(7);
        var error = Assert.ThrowsExactly<TrainingDivergedException>(
            () => new DecouplingTrainer(Settings(null, learningRate: 3e38, epochs: 1)).Train(network, _data.Pixels[..(32 * _shape.Size)], _data.Labels[..32]));
        Assert.AreEqual((1, 1, TrainingTerm.Weights), (error.Epoch, error.Batch, error.Term), error.Message);
        StringAssert.Contains(error.Message, "not finite");
        AssertHint(error);
    }

    [TestMethod]
    public void Estimator_HugeLearningRate_ThrowsTrainingDiverged()
    {
        var ml = new MLContext(seed: 1);
        var options = new DecoupleNetworkEstimator.Options
        {
            Architecture = NetworkArchitecture.Vgg(SmallLayout),
            Epochs = 6,
            BatchSize = 32,
            LearningRate = 1e6,
            Seed = 7,
            CheckpointPath = Path.Combine(_folder, "fit.ckpt"),
        };
        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => ml.Transforms.DecoupleNetwork(options).Fit(_data.ToDataView(ml)));
        AssertHint(error);
        if (error.Epoch > 1)
        {
            Assert.AreEqual(error.Epoch - 1, TrainingCheckpoint.ReadHeader(options.CheckpointPath).Header.CompletedEpochs);
        }
    }

    [TestMethod]
    public void LossThatGrowsByOrdersOfMagnitude_GivesAWarning_AUsualOneDoesNot()
    {
        static EpochReport Epoch(int epoch, double crossEntropy, double total) => new(epoch, 3, 0.05, crossEntropy, 0, 0, 0, total, 0.5, 0.5, 1);
        Assert.IsNull(LossGrowthCheck.Warning([Epoch(1, 1.5, 2.0), Epoch(2, 0.9, 1.2), Epoch(3, 0.6, 0.8)], 6, 0.05), "a training that learns");
        Assert.IsNull(LossGrowthCheck.Warning([Epoch(1, 1.8, 2.4), Epoch(2, 2.5, 3.0)], 6, 0.05), "a loss that rises a little");
        string? huge = LossGrowthCheck.Warning([Epoch(1, 3.2e22, 3.2e22)], 6, 1e6);
        Assert.IsNotNull(huge, "one epoch ending far above a uniform guess");
        StringAssert.Contains(huge, "3.2E+22");
        StringAssert.Contains(huge, "LearningRate (now 1E+06)");
        StringAssert.Contains(LossGrowthCheck.Warning([Epoch(1, 1.5, 2.0), Epoch(2, 1.7, 250)], 6, 0.5), "probably diverged", "a total that grew more than 100-fold");
    }

    [TestMethod]
    public void Estimator_FiniteButHugeLoss_WarnsThroughTheLog()
    {
        var ml = new MLContext(seed: 1);
        var warnings = LogWarnings.Of(ml);
        var options = new DecoupleNetworkEstimator.Options { Architecture = NetworkArchitecture.Vgg(SmallLayout), Epochs = 1, BatchSize = 32, LearningRate = LearningRateForHugeLoss, Seed = 7 };
        using var model = ml.Transforms.DecoupleNetwork(options).Fit(_data.ToDataView(ml));
        Assert.IsTrue(model.TrainingHistory[^1].Total > 100, $"loss {model.TrainingHistory[^1].Total}");
        Assert.IsTrue(warnings.Messages.Any(w => w.Contains("the training has probably diverged", StringComparison.Ordinal)), string.Join(Environment.NewLine, warnings.Messages));
    }

    [TestMethod]
    public void GradientClipping_BoundsTheGlobalGradientNorm()
    {
        var pixels = _data.Pixels[..(32 * _shape.Size)];
        var labels = _data.Labels[..32].Select(l => (long)l).ToArray();
        double GradientNormAfterStep(double? clip)
        {
            using var network = NewNetwork(7);
            network.train();
            using var optimizer = optim.SGD(network.parameters(), 0.01, momentum: 0.9);
            using var gateNoise = SeededGenerator.Create(11);
            TrainingStep.Run(network, optimizer, pixels, labels, Settings(null).Weights, CPU, gateNoise, clip);
            using var scope = NewDisposeScope();
            // The gradients stay on the parameters until the next step clears them.
            return Math.Sqrt(network.parameters().Sum(p => p.grad!.square().sum().item<float>()));
        }

        double unclipped = GradientNormAfterStep(null);
        Assert.IsGreaterThan(0, unclipped);
        double limit = unclipped / 10;
        double clipped = GradientNormAfterStep(limit);
        Assert.IsLessThanOrEqualTo(limit * (1 + 1e-4), clipped, $"unclipped {unclipped}, limit {limit}");
        Assert.IsGreaterThanOrEqualTo(limit * 0.99, clipped, "rescaled to the limit, not below");
        Assert.AreEqual(unclipped, GradientNormAfterStep(unclipped * 10), unclipped * 1e-5, "a limit above the norm changes nothing");
    }
}
