using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Training;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Checkpoints of networks built with a non-default gate reduction γ or with conv biases: the header records both, so such
/// a checkpoint loads as weights (it was rebuilt with γ 4 and no biases, and refused as "truncated or corrupt") and a
/// network of another γ or without the biases is refused naming the difference.
/// </summary>
[TestClass]
public sealed class CheckpointNetworkVariantTests
{
    private const string Layout = "8,16,M,16";
    private static readonly ImageDataset _data = ShapesGenerator.Generate(count: 64, seed: 5, imageSize: 16).Images;
    private static readonly ImageShape _shape = new(_data.Channels, _data.Height, _data.Width);

    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-checkpoint-variants");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static TrainingSettings Settings(string checkpoint) =>
        new(1, 32, 0.05, 0.9, 1e-4, new LossWeights(0.5, 1, 0.05, 0.5), 3) { CheckpointPath = checkpoint };

    [TestMethod]
    [DataRow(2, false)]
    [DataRow(4, true)]
    public void Checkpoint_OfAnotherGateReductionOrWithConvBiases_LoadsAsWeightsAndRefusesOtherNetworks(int gateReduction, bool convolutionBias)
    {
        string path = Path.Combine(_folder, "run.ckpt");
        var architecture = NetworkArchitecture.Vgg(Layout, convolutionBias);
        StateDictSnapshot trained;
        using (var network = architecture.Build(_shape, _data.ClassNames.Count, gateReduction: gateReduction, seed: 7))
        {
            new DecouplingTrainer(Settings(path)).Train(network, _data.Pixels, _data.Labels);
            trained = StateDictSnapshot.Of(network);
        }

        using (var target = architecture.Build(_shape, _data.ClassNames.Count, gateReduction: gateReduction, seed: 8))
        {
            PretrainedWeights.FromFile(path).ApplyTo(target);
            StateDictSnapshot.AssertIdentical(trained, StateDictSnapshot.Of(target), "the checkpoint's weights");
        }

        // The default network (γ 4, no biases) differs in one of the two: resuming into it is refused naming it.
        using var other = NetworkArchitecture.Vgg(Layout).Build(_shape, _data.ClassNames.Count, seed: 8);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => new DecouplingTrainer(Settings(path)).Train(other, _data.Pixels, _data.Labels));
        StringAssert.Contains(error.Message, convolutionBias ? $"vgg:{Layout} (gate reduction 4) with conv biases" : $"vgg:{Layout} (gate reduction 2)");
        StringAssert.Contains(error.Message, $"the network is a gated vgg:{Layout} (gate reduction 4) for");
    }
}
