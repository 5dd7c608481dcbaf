using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Analysis.Concepts;
using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Non-finite numbers and wrong lengths are refused, naming what is wrong, instead of giving NaN results or hanging.</summary>
[TestClass]
public sealed class BadNumbersTests
{
    [TestMethod]
    public void NonFinitePixels_AreRefusedByInferenceSkippingAndCompaction_NamingTheImage()
    {
        var shape = new ImageShape(1, 16, 16);
        using var network = NetworkArchitecture.Parse("vgg:8,16,M,16,32").Build(shape, 4, seed: 3);
        float[] pixels = new float[3 * shape.Size];
        Array.Fill(pixels, 0.5f);
        pixels[(2 * shape.Size) + 7] = float.NaN;

        var inference = Assert.ThrowsExactly<ArgumentException>(() => NetworkInference.Run(network, pixels, 3));
        StringAssert.Contains(inference.Message, "value 7 of image 2");
        Assert.AreEqual("pixels", inference.ParamName);
        pixels[(2 * shape.Size) + 7] = float.PositiveInfinity;
        Assert.ThrowsExactly<ArgumentException>(() => NetworkInference.RunSkipping(network, pixels, 3));
        using (var skipping = new SkippingInference(network))
        {
            Assert.ThrowsExactly<ArgumentException>(() => skipping.Run(pixels, 3));
        }

        var compaction = Assert.ThrowsExactly<ArgumentException>(() => NetworkCompaction.Compact(network, pixels, 3));
        Assert.AreEqual("calibrationPixels", compaction.ParamName);

        var length = Assert.ThrowsExactly<ArgumentException>(() => NetworkInference.Run(network, new float[shape.Size + 1], 1));
        StringAssert.Contains(length.Message, "expected 1 image(s)");
    }

    [TestMethod]
    public void DetectorMetrics_RefuseNaNScoresAndMismatchedLabels_InsteadOfHanging()
    {
        float[] scores = [0.1f, float.NaN, 0.8f, 0.3f];
        bool[] labels = [false, true, true, false];
        var compute = Assert.ThrowsExactly<ArgumentException>(() => DetectorMetrics.Compute(scores, labels, 0.5));
        StringAssert.Contains(compute.Message, "Score 1 is NaN");
        Assert.ThrowsExactly<ArgumentException>(() => DetectorMetrics.BestThreshold(scores, labels));
        var lengths = Assert.ThrowsExactly<ArgumentException>(() => DetectorMetrics.BestThreshold([0.1f, 0.2f, 0.3f], [true, false]));
        StringAssert.Contains(lengths.Message, "3 scores for 2 labels");

        // Infinite scores are ordered numbers: allowed, and the best threshold still separates them.
        Assert.AreEqual(1.0, DetectorMetrics.Compute([float.NegativeInfinity, float.PositiveInfinity], [false, true], 0).Auc);
        foreach (float[] separable in new[] { new[] { float.NegativeInfinity, float.PositiveInfinity }, [float.NegativeInfinity, 0f], [0f, float.PositiveInfinity] })
        {
            double threshold = DetectorMetrics.BestThreshold(separable, [false, true]);
            Assert.IsFalse(double.IsNaN(threshold), string.Join(", ", separable));
            Assert.AreEqual(1.0, DetectorMetrics.Compute(separable, [false, true], threshold).Accuracy, string.Join(", ", separable));
        }
    }

    [TestMethod]
    public void Attacks_RefuseNonFiniteAndOutOfRangePixels_AndNameTheirOwnBadSetting()
    {
        var shape = new ImageShape(1, 16, 16);
        using var network = NetworkArchitecture.Parse("vgg:8,16,M,16,32").Build(shape, 4, seed: 3);
        float[] pixels = new float[2 * shape.Size];
        Array.Fill(pixels, 0.5f);
        int[] labels = [0, 1];
        foreach (float bad in new[] { float.NaN, 5f, -0.1f })
        {
            pixels[shape.Size + 3] = bad;
            var fgsm = Assert.ThrowsExactly<ArgumentException>(() => new FastGradientSignMethod(0.1).Run(network, pixels, labels));
            Assert.AreEqual("pixels", fgsm.ParamName);
            StringAssert.Contains(fgsm.Message, "value 3 of image 1");
            Assert.ThrowsExactly<ArgumentException>(() => new ProjectedGradientDescent(PerturbationNorm.L2, 0.5, 5, 0.1).Run(network, pixels, labels));
        }

        Assert.AreEqual("steps", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new IterativeFastGradientSignMethod(steps: 0)).ParamName);
        Assert.AreEqual("stepSize", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new IterativeFastGradientSignMethod(stepSize: double.NaN)).ParamName);
        Assert.AreEqual("stepSize", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new IterativeFastGradientSignMethod(stepSize: -0.01)).ParamName);
    }

    [TestMethod]
    public void ConceptImage_RefusesNonFinitePixels()
    {
        float[] pixels = [0.1f, float.NaN, 0.2f, 0.3f];
        var error = Assert.ThrowsExactly<ArgumentException>(() => new ConceptImage(pixels, 0, []));
        Assert.AreEqual("pixels", error.ParamName);
    }

    [TestMethod]
    public void StateDictWithNonFiniteWeights_IsRefusedNamingTheTensor()
    {
        string file = Path.Combine(Path.GetTempPath(), $"nan-weights-{Guid.NewGuid():N}.pt");
        try
        {
            using (var good = TorchSharp.torch.ones(3))
            using (var bad = TorchSharp.torch.tensor(new float[] { 1, float.NaN }))
            {
                Pretrained.StateDictFile.Write(file, new Dictionary<string, TorchSharp.torch.Tensor> { ["a.weight"] = good, ["b.bias"] = bad });
            }

            var error = Assert.ThrowsExactly<InvalidDataException>(() => Pretrained.StateDictFile.Read(file));
            StringAssert.Contains(error.Message, "'b.bias'");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestMethod]
    public void StateDictWithCorruptedBytes_FailsTheArchiveCrc()
    {
        string file = Path.Combine(Path.GetTempPath(), $"corrupt-weights-{Guid.NewGuid():N}.pt");
        try
        {
            using (var weights = TorchSharp.torch.linspace(0, 1, 4096))
            {
                Pretrained.StateDictFile.Write(file, new Dictionary<string, TorchSharp.torch.Tensor> { ["w"] = weights });
            }

            // The tensor's 16 KiB are most of the file: its middle is inside them.
            byte[] bytes = File.ReadAllBytes(file);
            for (int i = 0; i < 64; i++)
            {
                bytes[(bytes.Length / 2) + i] ^= 0x5A;
            }

            File.WriteAllBytes(file, bytes);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => Pretrained.StateDictFile.Read(file));
            StringAssert.Contains(error.Message, "CRC-32");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
