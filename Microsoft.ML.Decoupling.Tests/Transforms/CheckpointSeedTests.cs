using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// A fit without <see cref="DecoupleNetworkEstimator.Options.Seed"/> draws its seed from the MLContext, so a second fit
/// from an unseeded MLContext drew another and refused its own checkpoint as another run's. It now takes the checkpoint's.
/// </summary>
[TestClass]
public sealed class CheckpointSeedTests
{
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-checkpoint-seed");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void Fit_WithoutASeed_ResumesFromItsCheckpointWithTheCheckpointsSeed()
    {
        var images = ShapesGenerator.Generate(count: 16, seed: 1, imageSize: 16).Images;
        string checkpoint = Path.Combine(_folder, "run.ckpt");
        DecoupleNetworkEstimator.Options Options() => new() { Epochs = 1, DensePretrainingEpochs = 1, Architecture = NetworkArchitecture.Vgg("4,4,4"), CheckpointPath = checkpoint };

        var first = new MLContext(seed: 5);
        using var trained = first.Transforms.DecoupleNetwork(Options()).Fit(images.ToDataView(first));
        int seed = TrainingCheckpoint.ReadHeader(checkpoint).Header.Seed;
        Assert.AreEqual(seed, TrainingCheckpoint.ReadHeader(DensePretraining.CheckpointPathFor(checkpoint)!).Header.Seed, "both stages' seed");

        // Another MLContext seed would draw another run seed: the finished checkpoint is taken, not refused.
        var second = new MLContext(seed: 6);
        var messages = new List<string>();
        second.Log += (_, e) => { lock (messages) { messages.Add(e.RawMessage); } };
        using var resumed = second.Transforms.DecoupleNetwork(Options()).Fit(images.ToDataView(second));
        StateDictSnapshot.AssertIdentical(StateDictSnapshot.Of(trained.Network), StateDictSnapshot.Of(resumed.Network), "the checkpoint's network");
        Assert.IsTrue(messages.Any(m => m.Contains($"resumes with its checkpoint's seed {seed}")), "the fit says which seed it took");

        // A seed of the user's still decides: another one is refused as another run's.
        var options = Options();
        options.Seed = seed + 1;
        var error = Assert.ThrowsExactly<InvalidDataException>(() => second.Transforms.DecoupleNetwork(options).Fit(images.ToDataView(second)));
        StringAssert.Contains(error.Message, $"seed: checkpoint {seed}, now {seed + 1}");
    }
}
