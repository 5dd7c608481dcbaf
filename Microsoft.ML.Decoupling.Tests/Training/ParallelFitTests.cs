using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Decoupling.Transforms;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Every random draw of a fit comes from generators the fit owns (issue 7): fits side by side give what they give alone.</summary>
[TestClass]
public sealed class ParallelFitTests
{
    private static readonly ImageDataset _data = ShapesGenerator.Generate(count: 64, seed: 71, imageSize: 16).Images;

    [TestMethod]
    public void ParallelFits_EqualTheSameFitsRunOneAfterAnother()
    {
        int[] seeds = [1, 2, 3, 4];
        var sequential = seeds.Select(Fit).ToArray();
        var parallel = new FitResult[seeds.Length];
        // The barrier makes the four fits overlap even where the thread pool starts with fewer threads (it adds them
        // within a second or so); the timeout only guards against a pool that never does.
        using var start = new Barrier(seeds.Length);
        Parallel.For(0, seeds.Length, new ParallelOptions { MaxDegreeOfParallelism = seeds.Length }, i =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            parallel[i] = Fit(seeds[i]);
        });

        for (int i = 0; i < seeds.Length; i++)
        {
            parallel[i].AssertIdentical(sequential[i], $"seed {seeds[i]}");
        }

        CollectionAssert.AreNotEqual(sequential[0].History, sequential[1].History, "different seeds must train differently");
    }

    [TestMethod]
    [DoNotParallelize] // checks torch's process-wide generator, which any test drawing from it in between would move
    public void Fit_LeavesTheProcessWideGeneratorAlone()
    {
        manual_seed(5);
        var expected = rand(8).data<float>().ToArray();
        manual_seed(5);
        _ = Fit(3);
        CollectionAssert.AreEqual(expected, rand(8).data<float>().ToArray());
    }

    [TestMethod]
    public void Fits_WithTheSameSeed_AreIdentical_WhateverTheProcessWideGeneratorHolds()
    {
        manual_seed(1);
        var first = Fit(6);
        manual_seed(2);
        _ = rand(1000);
        Fit(6).AssertIdentical(first, "second fit");
    }

    private static FitResult Fit(int seed)
    {
        var ml = new MLContext(seed: 1);
        var options = new DecoupleNetworkEstimator.Options
        {
            Architecture = NetworkArchitecture.Vgg("4,8,4"),
            Epochs = 2,
            BatchSize = 16,
            LearningRate = 0.05,
            MutualInformationWeight = 0.5,
            SparsityWeight = 0.05,
            TargetRatio = 0.5,
            Augmentation = ImageAugmentation.Cifar,
            Seed = seed,
        };
        using var model = ml.Transforms.DecoupleNetwork(options).Fit(_data.ToDataView(ml));
        // Wall time is the only field of the history that may differ.
        return new FitResult(StateDictSnapshot.Of(model.Network), model.TrainingHistory.Select(r => r with { Seconds = 0 }).ToArray());
    }

    private sealed record FitResult(StateDictSnapshot State, EpochReport[] History)
    {
        public void AssertIdentical(FitResult expected, string what)
        {
            StateDictSnapshot.AssertIdentical(expected.State, State, what);
            CollectionAssert.AreEqual(expected.History, History, $"{what}: training history");
        }
    }
}
