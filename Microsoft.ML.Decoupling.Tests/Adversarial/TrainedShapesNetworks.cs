using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// A small decoupled network and its dense twin trained once on 16×16 shapes, shared (read-only, evaluation mode) by the
/// adversarial tests: a few seconds of training instead of one fit per test class.
/// </summary>
internal static class TrainedShapesNetworks
{
    public const string Layout = "16,M,32,32,M,32";
    private static readonly Lazy<(DecoupledNetwork Gated, DecoupledNetwork Dense, ShapesDataset Train, ShapesDataset Test)> _networks = new(Train);

    public static DecoupledNetwork Gated => _networks.Value.Gated;

    public static DecoupledNetwork Dense => _networks.Value.Dense;

    public static ImageDataset TrainImages => _networks.Value.Train.Images;

    public static ImageDataset TestImages => _networks.Value.Test.Images;

    private static (DecoupledNetwork, DecoupledNetwork, ShapesDataset, ShapesDataset) Train()
    {
        var train = ShapesGenerator.Generate(count: 2000, seed: 61, imageSize: 16);
        var test = ShapesGenerator.Generate(count: 1200, seed: 62, imageSize: 16);
        var shape = new ImageShape(1, 16, 16);
        int classes = ShapesGenerator.ClassNames.Count;
        var gated = NetworkArchitecture.Vgg(Layout).Build(shape, classes, gated: true, seed: 3);
        var dense = NetworkArchitecture.Vgg(Layout).Build(shape, classes, gated: false, seed: 3);
        // λm 2 and no sparsity loss: paths stay dynamic (53 of 64 filters), which path-based detection needs; with the
        // Quickstart's λs 0.05 this small network's paths turn almost static in this budget.
        new DecouplingTrainer(new TrainingSettings(6, 64, 0.1, 0.9, 1e-4, new LossWeights(2, 1, 0, 0.5), 3)).Train(gated, train.Images);
        new DecouplingTrainer(new TrainingSettings(6, 64, 0.1, 0.9, 1e-4, new LossWeights(0, 0, 0, 0), 3)).Train(dense, train.Images);
        gated.eval();
        dense.eval();
        return (gated, dense, train, test);
    }
}
