using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Seeding;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Decoupling.Transforms;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class AugmentationAndNormalizationTests
{
    private const string SmallLayout = "8,16,M,16,32";
    private const int Channels = 3;
    private const int Height = 5;
    private const int Width = 7;
    private const int Plane = Height * Width;

    /// <summary>A 3×5×7 image whose values are 1 + their index: every value tells where it came from.</summary>
    private static float[] NumberedImage() => Enumerable.Range(1, Channels * Plane).Select(v => (float)v).ToArray();

    private static float[] Augment(ImageAugmentation augmentation, float[] image, int seed)
    {
        var target = new float[image.Length];
        target.AsSpan().Fill(float.NaN);
        augmentation.Apply(image, target, Channels, Height, Width, new Random(seed));
        return target;
    }

    [TestMethod]
    public void FlipOnly_GivesTheImageOrItsExactMirror_AsTheSeededDrawSays()
    {
        float[] image = NumberedImage();
        var flip = new ImageAugmentation(CropPadding: 0, HorizontalFlip: true);
        int flipped = 0;
        for (int seed = 0; seed < 40; seed++)
        {
            float[] output = Augment(flip, image, seed);
            bool drawn = new Random(seed).Next(2) == 1; // the only draw without cropping
            for (int c = 0; c < Channels; c++)
            {
                for (int y = 0; y < Height; y++)
                {
                    for (int x = 0; x < Width; x++)
                    {
                        int source = (c * Plane) + (y * Width) + (drawn ? Width - 1 - x : x);
                        Assert.AreEqual(image[source], output[(c * Plane) + (y * Width) + x], $"seed {seed}, c {c}, y {y}, x {x}");
                    }
                }
            }

            flipped += drawn ? 1 : 0;
        }

        Assert.IsTrue(flipped is > 5 and < 35, $"about half of the images are mirrored ({flipped}/40)");
        CollectionAssert.AreEqual(image, Augment(new ImageAugmentation(0, false), image, 1), "an inactive augmentation copies");
    }

    [TestMethod]
    public void Crop_ShiftsEveryChannelByTheDrawnOffsetAndFillsZeros()
    {
        float[] image = NumberedImage();
        const int Padding = 2;
        var crop = new ImageAugmentation(CropPadding: Padding, HorizontalFlip: false);
        var offsets = new HashSet<(int, int)>();
        for (int seed = 0; seed < 60; seed++)
        {
            var draws = new Random(seed);
            int dy = draws.Next(-Padding, Padding + 1);
            int dx = draws.Next(-Padding, Padding + 1);
            offsets.Add((dy, dx));
            float[] output = Augment(crop, image, seed);
            int zeros = 0;
            for (int c = 0; c < Channels; c++)
            {
                for (int y = 0; y < Height; y++)
                {
                    for (int x = 0; x < Width; x++)
                    {
                        float value = output[(c * Plane) + (y * Width) + x];
                        if (value == 0f)
                        {
                            zeros++;
                            int sy = y + dy, sx = x + dx;
                            Assert.IsTrue(sy < 0 || sy >= Height || sx < 0 || sx >= Width, $"seed {seed}: zero at ({y}, {x}) but its source is inside");
                            continue;
                        }

                        // The value says which pixel it came from: same channel, shifted by the drawn offset.
                        int index = (int)value - 1;
                        Assert.AreEqual(c, index / Plane, $"seed {seed}: channel");
                        Assert.AreEqual(y + dy, index % Plane / Width, $"seed {seed}: row");
                        Assert.AreEqual(x + dx, index % Width, $"seed {seed}: column");
                    }
                }
            }

            Assert.AreEqual(Channels * (Plane - ((Height - Math.Abs(dy)) * (Width - Math.Abs(dx)))), zeros, $"seed {seed}, offset ({dy}, {dx})");
        }

        Assert.IsTrue(offsets.All(o => Math.Abs(o.Item1) <= Padding && Math.Abs(o.Item2) <= Padding));
        Assert.IsTrue(offsets.Contains((0, 0)) || offsets.Count > 10, "the offsets vary");
        Assert.IsTrue(offsets.Any(o => Math.Abs(o.Item1) == Padding) && offsets.Any(o => Math.Abs(o.Item2) == Padding), "the full padding is used");
    }

    [TestMethod]
    public void SameSeed_GivesTheSameAugmentedBatch_AnotherSeedAnotherOne()
    {
        var data = ShapesGenerator.Generate(count: 16, seed: 61, imageSize: 16, channels: 3).Images;
        float[] Batch(int seed)
        {
            var random = new Random(seed);
            var output = new float[data.Pixels.Length];
            for (int i = 0; i < data.Count; i++)
            {
                ImageAugmentation.Cifar.Apply(data.GetImage(i), output.AsSpan(i * data.ImageSize, data.ImageSize), 3, 16, 16, random);
            }

            return output;
        }

        CollectionAssert.AreEqual(Batch(5), Batch(5));
        CollectionAssert.AreNotEqual(Batch(5), Batch(6));
        CollectionAssert.AreNotEqual(data.Pixels, Batch(5));
    }

    [TestMethod]
    public void Trainer_WithAugmentation_IsSeededAndDiffersFromNoAugmentation()
    {
        var data = ShapesGenerator.Generate(count: 64, seed: 62, imageSize: 16).Images;
        EpochReport[] Run(ImageAugmentation? augmentation)
        {
            using var network = NetworkArchitecture.Vgg(SmallLayout).Build(new ImageShape(1, 16, 16), data.ClassNames.Count, seed: 5);
            var settings = new TrainingSettings(1, 32, 0.05, 0.9, 1e-4, new LossWeights(0.04, 1, 2e-4, 0), 3) { Augmentation = augmentation };
            return new DecouplingTrainer(settings).Train(network, data.Pixels, data.Labels).Select(r => r with { Seconds = 0 }).ToArray();
        }

        var augmented = Run(ImageAugmentation.Cifar);
        CollectionAssert.AreEqual(augmented, Run(ImageAugmentation.Cifar));
        CollectionAssert.AreNotEqual(augmented, Run(null));
    }

    [TestMethod]
    public void NegativePadding_IsRejectedNamingTheOption()
    {
        var bad = new ImageAugmentation(CropPadding: -1, HorizontalFlip: true);
        var direct = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => bad.Validate("MyOption"));
        Assert.AreEqual("MyOption", direct.ParamName);
        StringAssert.Contains(direct.Message, "MyOption.CropPadding");

        var settings = new TrainingSettings(1, 32, 0.05, 0.9, 1e-4, new LossWeights(0, 0, 0, 0), 1) { Augmentation = bad };
        var trainer = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DecouplingTrainer(settings));
        Assert.AreEqual(nameof(TrainingSettings.Augmentation), trainer.ParamName);

        var options = new DecoupleNetworkEstimator.Options { Augmentation = bad };
        var estimator = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext(seed: 1).Transforms.DecoupleNetwork(options));
        Assert.AreEqual(nameof(DecoupleNetworkEstimator.Options.Augmentation), estimator.ParamName);
        StringAssert.Contains(estimator.Message, "Augmentation.CropPadding");
    }

    [TestMethod]
    public void Measure_GivesThePerChannelMeanAndPopulationDeviation()
    {
        // Two 2-channel 2×2 images, channel-planar. Channel 0 holds 0, 0, 1, 1 | 1, 1, 1, 1; channel 1 is constant.
        float[] pixels =
        [
            0f, 0f, 1f, 1f, 0.3f, 0.3f, 0.3f, 0.3f,
            1f, 1f, 1f, 1f, 0.3f, 0.3f, 0.3f, 0.3f,
        ];
        var measured = InputNormalization.Measure(pixels, 2, new ImageShape(2, 2, 2));
        Assert.AreEqual(2, measured.Channels);
        Assert.AreEqual(0.75f, measured.Mean[0], 1e-7f);
        Assert.AreEqual((float)Math.Sqrt(0.75 - (0.75 * 0.75)), measured.StandardDeviation[0], 1e-6f);
        Assert.AreEqual(0.3f, measured.Mean[1], 1e-7f);
        Assert.AreEqual(1f, measured.StandardDeviation[1], "a constant channel gets a deviation of 1");

        // Three channels of a shapes image set, checked against a direct computation.
        var data = ShapesGenerator.Generate(count: 20, seed: 63, imageSize: 16, channels: 3).Images;
        var shapes = InputNormalization.Measure(data.Pixels, data.Count, new ImageShape(3, 16, 16));
        for (int c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, data.Count).SelectMany(i => data.GetImage(i).Slice(c * 256, 256).ToArray()).Select(v => (double)v).ToArray();
            double mean = values.Average();
            double deviation = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
            Assert.AreEqual(mean, shapes.Mean[c], 1e-6, $"mean {c}");
            Assert.AreEqual(deviation, shapes.StandardDeviation[c], 1e-5, $"deviation {c}");
        }

        Assert.ThrowsExactly<ArgumentException>(() => InputNormalization.Measure(pixels, 3, new ImageShape(2, 2, 2)));
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(-0.5f)]
    [DataRow(float.NaN)]
    [DataRow(float.PositiveInfinity)]
    public void Constructor_RejectsANonPositiveOrNonFiniteDeviation(float deviation)
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InputNormalization([0.5f, 0.5f], [0.2f, deviation]));
        Assert.AreEqual("standardDeviation", error.ParamName);
        StringAssert.Contains(error.Message, "channel 1");
    }

    [TestMethod]
    public void Constructor_RejectsANonFiniteMeanAndMismatchedCounts()
    {
        var mean = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InputNormalization([float.NaN], [1f]));
        Assert.AreEqual("mean", mean.ParamName);
        var counts = Assert.ThrowsExactly<ArgumentException>(() => new InputNormalization([0.5f, 0.5f], [1f]));
        Assert.AreEqual("standardDeviation", counts.ParamName);
        Assert.ThrowsExactly<ArgumentException>(() => new InputNormalization([], []));
        var channels = Assert.ThrowsExactly<ArgumentException>(
            () => NetworkArchitecture.Vgg(SmallLayout).Build(new ImageShape(3, 16, 16), 4, normalization: new InputNormalization([0.5f], [1f]), seed: 1));
        Assert.AreEqual("normalization", channels.ParamName);
    }

    [TestMethod]
    public void NormalizedNetwork_EqualsAPlainNetworkFedNormalizedPixels()
    {
        using var scope = NewDisposeScope();
        var shape = new ImageShape(3, 16, 16);
        var normalization = new InputNormalization([0.2f, 0.5f, 0.7f], [0.25f, 0.5f, 2f]);
        using var normalized = NetworkArchitecture.Vgg(SmallLayout).Build(shape, 4, normalization: normalization, seed: 3);
        using var plain = NetworkArchitecture.Vgg(SmallLayout).Build(shape, 4, seed: 4);
        using var draws = SeededGenerator.Create(5);
        CollectionAssert.AreEquivalent(normalized.state_dict().Keys.ToArray(), plain.state_dict().Keys.ToArray(), "the normalisation adds no state");
        PretrainedWeights.FromNetwork(normalized).ApplyTo(plain);
        // Gate weights that make the paths input-dependent, copied too.
        using (no_grad())
        {
            for (int g = 0; g < normalized.Gates.Count; g++)
            {
                normalized.Gates[g].Squeeze.weight!.normal_(0, 1, draws);
                plain.Gates[g].Squeeze.weight!.copy_(normalized.Gates[g].Squeeze.weight!);
            }
        }

        normalized.eval();
        plain.eval();
        var x = rand([8, 3, 16, 16], generator: draws);
        var channelShape = new long[] { 1, 3, 1, 1 };
        var byHand = (x - tensor(normalization.Mean.ToArray(), channelShape)) / tensor(normalization.StandardDeviation.ToArray(), channelShape);
        using (no_grad())
        {
            var inside = normalized.forward(x.view(8, -1));
            var outside = plain.forward(byHand);
            TensorAssert.AreIdentical(outside.Logits, inside.Logits, "logits");
            TensorAssert.AreIdentical(outside.Path(), inside.Path(), "path");
            var unnormalized = plain.forward(x);
            Assert.IsGreaterThan(1e-3f, (unnormalized.Logits - inside.Logits).abs().max().item<float>(), "the normalisation matters");
        }
    }

    [TestMethod]
    public void NormalizeFromData_IsMeasuredOnTheTrainingDataAndInsideTheOnnxModel()
    {
        var ml = new MLContext(seed: 1);
        var train = ShapesGenerator.Generate(count: 96, seed: 64, imageSize: 16, channels: 3).Images;
        var test = ShapesGenerator.Generate(count: 48, seed: 65, imageSize: 16, channels: 3).Images;
        var options = new DecoupleNetworkEstimator.Options
        {
            Architecture = NetworkArchitecture.Vgg(SmallLayout),
            ImageChannels = 3,
            Epochs = 1,
            BatchSize = 32,
            Seed = 5,
            NormalizeFromData = true,
        };
        using var model = ml.Transforms.DecoupleNetwork(options).Fit(train.ToDataView(ml));
        var expected = InputNormalization.Measure(train.Pixels, train.Count, new ImageShape(3, 16, 16));
        Assert.IsNotNull(model.Network.Normalization);
        CollectionAssert.AreEqual(expected.Mean.ToArray(), model.Network.Normalization.Mean.ToArray());
        CollectionAssert.AreEqual(expected.StandardDeviation.ToArray(), model.Network.Normalization.StandardDeviation.ToArray());

        var output = model.Transform(test.ToDataView(ml));
        float[] onnxScores = output.GetColumn<VBuffer<float>>(DecouplingColumnNames.Score).SelectMany(v => v.DenseValues()).ToArray();
        float[] onnxPaths = output.GetColumn<VBuffer<float>>(DecouplingColumnNames.Path).SelectMany(v => v.DenseValues()).ToArray();
        TorchOnnxParity.Assert(model.Network, test.Pixels, test.Count, onnxScores, onnxPaths, scoreTolerance: 1e-4f);

        // The comparison is sensitive: without the normalisation the same weights give other scores.
        using var plain = options.Architecture.Build(new ImageShape(3, 16, 16), test.ClassNames.Count, seed: 5);
        PretrainedWeights.FromNetwork(model.Network).ApplyTo(plain);
        var (plainScores, _) = NetworkInference.Run(plain, test);
        Assert.IsGreaterThan(1e-3f, plainScores.Zip(onnxScores, (a, b) => Math.Abs(a - b)).Max());
    }
}
