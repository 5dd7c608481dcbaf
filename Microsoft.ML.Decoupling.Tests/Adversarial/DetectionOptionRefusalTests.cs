using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Options and counts of the detection protocol that cannot work are refused naming what the caller set, before the
/// calibration fit and the attacks (a dense path fitted on another network once gave wrong paths without a word).
/// </summary>
[TestClass]
public sealed class DetectionOptionRefusalTests
{
    [TestMethod]
    public void DetectionData_WithADensePathOfAnotherNetwork_OrBadOptions_IsRefusedNamingTheOptions()
    {
        var images = TrainedShapesNetworks.TestImages.Slice(0, 12);
        var encoder = DensePathEncoder.Fit(TrainedShapesNetworks.Dense, TrainedShapesNetworks.TrainImages.Slice(0, 100), warn: _ => { });
        using var other = NetworkArchitecture.Vgg("16,M,64,64,M,64").Build(new ImageShape(1, 16, 16), TrainedShapesNetworks.Dense.Classes, gated: false, seed: 1);
        var attack = new FastGradientSignMethod(0.05);

        var wrongNetwork = Assert.ThrowsExactly<ArgumentException>(() => AdversarialDetectionData.Create(other, images, attack, new DetectionDataOptions { DensePath = encoder }));
        Assert.AreEqual("options", wrongNetwork.ParamName);
        StringAssert.Contains(wrongNetwork.Message, $"DensePath was fitted on a network without gates, vgg:{TrainedShapesNetworks.Layout}");

        // The calibration set would be fitted first if the options were checked after it: one missing a class says which.
        var calibration = new ImageDataset(new float[256], [0], 1, 16, 16, images.ClassNames);
        var batch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => AdversarialDetectionData.Create(
            TrainedShapesNetworks.Gated, images, attack, new DetectionDataOptions { BatchSize = 0, DeviationCalibration = calibration }));
        Assert.AreEqual("options", batch.ParamName);
        var targets = Assert.ThrowsExactly<ArgumentException>(() => AdversarialDetectionData.Create(
            TrainedShapesNetworks.Gated, images, new FastGradientSignMethod(0.05, targeted: true), new DetectionDataOptions { Targets = [1, 2], DeviationCalibration = calibration }));
        Assert.AreEqual("options", targets.ParamName);
        StringAssert.Contains(targets.Message, "DetectionDataOptions.Targets: ");
        StringAssert.Contains(targets.Message, "got 2");
    }

    [TestMethod]
    public void PathDetector_TooFewImagesForACount_OrAnAttackThatNeverSucceeds_NamesWhichArgument()
    {
        var pool = TrainedShapesNetworks.TestImages;
        var calibration = TrainedShapesNetworks.TrainImages.Slice(0, 200);
        var ml = new MLContext(1);
        var network = TrainedShapesNetworks.Gated;
        var attack = new FastGradientSignMethod(0.1);
        Assert.AreEqual("trainPerClass", Assert.ThrowsExactly<ArgumentException>(() => PathAdversarialDetector.Run(ml, network, pool, attack, 100_000, 1, calibration)).ParamName);
        Assert.AreEqual("testPerClass", Assert.ThrowsExactly<ArgumentException>(() => PathAdversarialDetector.Run(ml, network, pool, attack, 1, 100_000, calibration)).ParamName);

        // ε far below any pixel step: no adversarial example to train on, said after the first set's attack, not at the end.
        var error = Assert.ThrowsExactly<ArgumentException>(() => PathAdversarialDetector.Run(ml, network, pool, new FastGradientSignMethod(1e-7), 2, 2, calibration));
        Assert.AreEqual("attack", error.ParamName);
        StringAssert.Contains(error.Message, "succeeded on none of the detector's");
        StringAssert.Contains(error.Message, "training images");
    }
}
