using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>The two-stage recipe in one Fit (dense pretraining, then decoupling from those weights) and its checkpoints.</summary>
[TestClass]
public sealed class DensePretrainingTests
{
    private static readonly ImageDataset _train = ShapesGenerator.Generate(count: 96, seed: 61, imageSize: 16).Images;
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-pretraining");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static DecoupleNetworkEstimator.Options Options() => new()
    {
        Architecture = NetworkArchitecture.Vgg("8,16,M,16"),
        DensePretrainingEpochs = 2,
        Epochs = 2,
        BatchSize = 32,
        LearningRate = 0.05,
        MutualInformationWeight = 0.5,
        SparsityWeight = 0.05,
        TargetRatio = 0.5,
        SparsityWarmupEpochs = 1,
        Seed = 7,
    };

    private static StateDictSnapshot Fit(DecoupleNetworkEstimator.Options options, CancellationToken cancellation = default)
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Transforms.DecoupleNetwork(options).Fit(_train.ToDataView(ml), cancellation);
        return StateDictSnapshot.Of(model.Network);
    }

    [TestMethod]
    public void OneFit_GivesTheWeightsOfADenseFitThenDecouplingFromIt()
    {
        var oneCall = Fit(Options());

        var ml = new MLContext(seed: 1);
        var view = _train.ToDataView(ml);
        var dense = Options();
        dense.UseGates = false;
        dense.DensePretrainingEpochs = 0;
        dense.SparsityWarmupEpochs = 0;
        using var denseModel = ml.Transforms.DecoupleNetwork(dense).Fit(view);
        var gated = Options();
        gated.DensePretrainingEpochs = 0;
        gated.InitialWeights = PretrainedWeights.FromNetwork(denseModel.Network);
        using var twoStage = ml.Transforms.DecoupleNetwork(gated).Fit(view);

        StateDictSnapshot.AssertIdentical(oneCall, StateDictSnapshot.Of(twoStage.Network), "one Fit with DensePretrainingEpochs against a dense Fit then FromNetwork");
    }

    [TestMethod]
    public void InterruptedInEitherStage_ResumesFromItsCheckpoint_LikeAnUninterruptedFit()
    {
        var uninterrupted = Fit(Options());

        foreach (string stopAfter in new[] { "dense pretraining epoch 1/2 lr", "epoch 1/2 lr" })
        {
            var options = Options();
            options.CheckpointPath = Path.Combine(_folder, $"run-{stopAfter.Length}.ckpt");
            using var cancellation = new CancellationTokenSource();
            var ml = new MLContext(seed: 1);
            ml.Log += (_, e) =>
            {
                if (e.RawMessage.StartsWith(stopAfter, StringComparison.Ordinal))
                {
                    cancellation.Cancel();
                }
            };
            Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.DecoupleNetwork(options).Fit(_train.ToDataView(ml), cancellation.Token));
            bool inDecoupling = stopAfter == "epoch 1/2 lr";
            Assert.IsTrue(File.Exists(options.CheckpointPath + ".dense"), "the dense stage keeps its own checkpoint");
            Assert.AreEqual(inDecoupling, File.Exists(options.CheckpointPath), "the decoupling checkpoint exists once that stage ran an epoch");

            var resumed = Fit(options);

            StateDictSnapshot.AssertIdentical(uninterrupted, resumed, $"stopped after '{stopAfter}', then resumed");
        }
    }

    [TestMethod]
    public void DecouplingCheckpoint_AfterAnotherDenseStageOrInitialWeights_IsNotResumed()
    {
        // The estimator skips the dense stage when the decoupling checkpoint exists: a changed dense stage must not be
        // resumed as if it had run (the checkpoint records how its run started).
        var options = Options();
        options.DensePretrainingEpochs = 1;
        options.Epochs = 1;
        options.CheckpointPath = Path.Combine(_folder, "run.ckpt");
        var finished = Fit(options);
        StateDictSnapshot.AssertIdentical(finished, Fit(options), "the same options resume the finished run");

        options.DensePretrainingEpochs = 2;
        var longer = Assert.ThrowsExactly<InvalidDataException>(() => Fit(options));
        StringAssert.Contains(longer.Message, "start: checkpoint 1 epochs of dense pretraining from the network's own initialisation, now 2 epochs of dense pretraining");

        options.DensePretrainingEpochs = 0;
        string denseWeights = Path.Combine(_folder, "dense.ckpt");
        File.Copy(options.CheckpointPath + ".dense", denseWeights);
        options.InitialWeights = PretrainedWeights.FromFile(denseWeights);
        var fromWeights = Assert.ThrowsExactly<InvalidDataException>(() => Fit(options));
        StringAssert.Contains(fromWeights.Message, $"now initial weights {denseWeights}");
    }

    [TestMethod]
    public void DensePretraining_OfADenseNetworkOrNegative_IsRefusedNamingTheOption()
    {
        var dense = Options();
        dense.UseGates = false;
        var error = Assert.ThrowsExactly<ArgumentException>(() => new MLContext().Transforms.DecoupleNetwork(dense));
        Assert.AreEqual(nameof(DecoupleNetworkEstimator.Options.DensePretrainingEpochs), error.ParamName);

        var negative = Options();
        negative.DensePretrainingEpochs = -1;
        Assert.AreEqual(nameof(DecoupleNetworkEstimator.Options.DensePretrainingEpochs),
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Transforms.DecoupleNetwork(negative)).ParamName);
    }
}
