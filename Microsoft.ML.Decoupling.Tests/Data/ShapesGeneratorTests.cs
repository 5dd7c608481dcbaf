using Microsoft.ML.Decoupling.Data;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class ShapesGeneratorTests
{
    [TestMethod]
    public void Generate_SameSeed_GivesBitIdenticalImagesLabelsAndMasks()
    {
        ShapesDataset first = ShapesGenerator.Generate(count: 200, seed: 7);
        ShapesDataset second = ShapesGenerator.Generate(new ShapesOptions { Count = 200, Seed = 7 });

        CollectionAssert.AreEqual(first.Images.Labels, second.Images.Labels);
        CollectionAssert.AreEqual(
            first.Images.Pixels.Select(BitConverter.SingleToInt32Bits).ToArray(),
            second.Images.Pixels.Select(BitConverter.SingleToInt32Bits).ToArray());
        for (int i = 0; i < first.Count; i++)
        {
            IReadOnlyList<ShapePartMask> a = first.GetPartMasks(i), b = second.GetPartMasks(i);
            Assert.HasCount(a.Count, b);
            for (int p = 0; p < a.Count; p++)
            {
                Assert.AreEqual(a[p].Part, b[p].Part);
                Assert.IsTrue(a[p].Pixels.SequenceEqual(b[p].Pixels), $"image {i}, part {p}");
            }
        }
    }

    [TestMethod]
    public void Generate_DifferentSeeds_GiveDifferentData()
    {
        ShapesDataset first = ShapesGenerator.Generate(count: 60, seed: 1);
        ShapesDataset second = ShapesGenerator.Generate(count: 60, seed: 2);

        CollectionAssert.AreNotEqual(first.Images.Labels, second.Images.Labels);
        CollectionAssert.AreNotEqual(first.Images.Pixels, second.Images.Pixels);
    }

    [TestMethod]
    public void Generate_EveryClassAppears_AndClassesAreBalanced()
    {
        ShapesDataset data = ShapesGenerator.Generate(count: 603, seed: 3);

        int classCount = ShapesGenerator.ClassNames.Count;
        Assert.IsGreaterThanOrEqualTo(4, classCount);
        CollectionAssert.AreEqual(ShapesGenerator.ClassNames.ToArray(), data.Images.ClassNames.ToArray());
        int[] perClass = new int[classCount];
        foreach (int label in data.Images.Labels)
        {
            perClass[label]++;
        }

        Assert.IsTrue(perClass.All(n => n is 100 or 101), string.Join(", ", perClass));

        // Labels are shuffled, not in round-robin order.
        Assert.IsFalse(data.Images.Labels.Select((label, i) => label == i % classCount).All(same => same));
    }

    [TestMethod]
    public void ClassParts_AreSharedBetweenClasses_AndNamedInKebabCase()
    {
        var classesPerPart = new Dictionary<ShapePart, int>();
        var compositions = new HashSet<string>();
        for (int label = 0; label < ShapesGenerator.ClassNames.Count; label++)
        {
            IReadOnlyList<ShapePart> parts = ShapesGenerator.GetClassParts(label);
            Assert.IsGreaterThanOrEqualTo(2, parts.Count);
            Assert.IsTrue(compositions.Add(string.Join("+", parts.Order())), $"class {label} repeats another class's parts");
            foreach (ShapePart part in parts.Distinct())
            {
                classesPerPart[part] = classesPerPart.GetValueOrDefault(part) + 1;
            }
        }

        Assert.IsGreaterThanOrEqualTo(4, classesPerPart.Count(entry => entry.Value >= 2), "parts shared by two or more classes");
        Assert.AreEqual("horizontal-bar", ShapesGenerator.GetPartName(ShapePart.HorizontalBar));
        Assert.AreEqual("square-outline", ShapesGenerator.GetPartName(ShapePart.SquareOutline));
        Assert.HasCount(Enum.GetValues<ShapePart>().Length, Enum.GetValues<ShapePart>().Select(ShapesGenerator.GetPartName).Distinct());
    }

    [TestMethod]
    public void GetPartMasks_FollowTheClassComposition_AndLieInsideTheImage()
    {
        ShapesDataset data = ShapesGenerator.Generate(count: 120, seed: 4, imageSize: 24);

        for (int i = 0; i < data.Count; i++)
        {
            IReadOnlyList<ShapePartMask> masks = data.GetPartMasks(i);
            CollectionAssert.AreEqual(
                ShapesGenerator.GetClassParts(data.Images.GetLabel(i)).ToArray(), masks.Select(mask => mask.Part).ToArray());
            foreach (ShapePartMask mask in masks)
            {
                Assert.AreEqual(24, mask.Height);
                Assert.AreEqual(24, mask.Width);
                Assert.AreEqual(24 * 24, mask.Pixels.Length);
                Assert.AreEqual(ShapesGenerator.GetPartName(mask.Part), mask.Name);
                Assert.IsGreaterThanOrEqualTo(4, mask.PixelCount, $"image {i}, {mask.Name}");
                Assert.IsLessThan(24 * 24 / 2, mask.PixelCount, $"image {i}, {mask.Name}");

                // The shape stays off the image border: its frame keeps a margin of at least one pixel.
                for (int k = 0; k < 24; k++)
                {
                    Assert.IsFalse(mask.Contains(0, k) || mask.Contains(23, k), $"image {i}, {mask.Name} touches the top or bottom edge");
                }
            }
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void GetPartMasks_WithoutNoise_CoverExactlyThePixelsBrighterThanTheBackground(int channels)
    {
        ShapesDataset data = ShapesGenerator.Generate(count: 60, seed: 5, channels: channels, noiseStd: 0f);
        int planeSize = data.Images.Height * data.Images.Width;

        for (int i = 0; i < data.Count; i++)
        {
            ReadOnlySpan<float> image = data.Images.GetImage(i);
            IReadOnlyList<ShapePartMask> masks = data.GetPartMasks(i);
            float brightestBackground = 0f, darkestStroke = 1f;
            for (int at = 0; at < planeSize; at++)
            {
                float brightest = 0f;
                for (int c = 0; c < channels; c++)
                {
                    brightest = Math.Max(brightest, image[(c * planeSize) + at]);
                }

                if (masks.Any(mask => mask.Pixels[at]))
                {
                    darkestStroke = Math.Min(darkestStroke, brightest);
                }
                else
                {
                    brightestBackground = Math.Max(brightestBackground, brightest);
                }
            }

            Assert.IsGreaterThan(brightestBackground + 0.3f, darkestStroke, $"image {i}");
        }
    }

    [TestMethod]
    public void GetPartMasks_WithDefaultNoise_MarkPixelsBrighterOnAverage()
    {
        ShapesDataset data = ShapesGenerator.Generate(count: 100, seed: 6);
        double strokeSum = 0, backgroundSum = 0;
        int strokeCount = 0, backgroundCount = 0;

        for (int i = 0; i < data.Count; i++)
        {
            ReadOnlySpan<float> image = data.Images.GetImage(i);
            IReadOnlyList<ShapePartMask> masks = data.GetPartMasks(i);
            for (int at = 0; at < image.Length; at++)
            {
                if (masks.Any(mask => mask.Pixels[at]))
                {
                    strokeSum += image[at];
                    strokeCount++;
                }
                else
                {
                    backgroundSum += image[at];
                    backgroundCount++;
                }
            }
        }

        Assert.IsGreaterThan((backgroundSum / backgroundCount) + 0.4, strokeSum / strokeCount);
        Assert.IsTrue(data.Images.Pixels.All(value => value is >= 0f and <= 1f));
        Assert.IsTrue(data.Images.Pixels.Any(value => value == 0f), "noise is clamped at 0");
    }

    [TestMethod]
    [DataRow(16, 1)]
    [DataRow(48, 3)]
    public void Generate_HonoursImageSizeAndChannels(int imageSize, int channels)
    {
        ShapesDataset data = ShapesGenerator.Generate(count: 12, seed: 8, imageSize: imageSize, channels: channels);

        Assert.AreEqual(channels, data.Images.Channels);
        Assert.AreEqual(imageSize, data.Images.Height);
        Assert.AreEqual(imageSize, data.Images.Width);
        Assert.HasCount(12 * channels * imageSize * imageSize, data.Images.Pixels);
        Assert.AreEqual(imageSize * imageSize, data.GetPartMasks(11)[0].Pixels.Length);
    }

    [TestMethod]
    public void Generate_Rgb_TintsStrokesDifferentlyPerChannel()
    {
        ShapesDataset data = ShapesGenerator.Generate(count: 20, seed: 9, channels: 3, noiseStd: 0f);
        int planeSize = data.Images.Height * data.Images.Width;

        int tinted = 0;
        for (int i = 0; i < data.Count; i++)
        {
            ReadOnlySpan<float> image = data.Images.GetImage(i);
            int at = data.GetPartMasks(i)[0].Pixels.IndexOf(true);
            if (image[at] != image[planeSize + at] || image[at] != image[(2 * planeSize) + at])
            {
                tinted++;
            }
        }

        Assert.IsGreaterThan(15, tinted);
    }

    [TestMethod]
    public void TotalBrightness_DoesNotGiveAwayTheClass()
    {
        ShapesDataset data = ShapesGenerator.Generate(count: 1200, seed: 10);
        int classCount = ShapesGenerator.ClassNames.Count;
        double[] brightness = [.. Enumerable.Range(0, data.Count).Select(i => Sum(data.Images.GetImage(i)))];
        double[] classMeans = new double[classCount];
        for (int label = 0; label < classCount; label++)
        {
            classMeans[label] = Enumerable.Range(0, data.Count).Where(i => data.Images.GetLabel(i) == label).Average(i => brightness[i]);
        }

        int correct = Enumerable.Range(0, data.Count).Count(i =>
            Enumerable.Range(0, classCount).MinBy(label => Math.Abs(classMeans[label] - brightness[i])) == data.Images.GetLabel(i));

        // Nearest class mean of the total brightness: a pixel-counting classifier should do poorly.
        Assert.IsLessThan(0.5, (double)correct / data.Count);
    }

    [TestMethod]
    public void Generate_InvalidOptions_ThrowNamingTheOption()
    {
        AssertInvalid(new ShapesOptions { ImageSize = 8 }, nameof(ShapesOptions.ImageSize));
        AssertInvalid(new ShapesOptions { Channels = 2 }, nameof(ShapesOptions.Channels));
        AssertInvalid(new ShapesOptions { NoiseStd = -0.1f }, nameof(ShapesOptions.NoiseStd));
        AssertInvalid(new ShapesOptions { NoiseStd = float.NaN }, nameof(ShapesOptions.NoiseStd));
        AssertInvalid(new ShapesOptions { Count = -1 }, nameof(ShapesOptions.Count));
        Assert.AreEqual(0, ShapesGenerator.Generate(count: 0).Count);
    }

    private static void AssertInvalid(ShapesOptions options, string optionName)
    {
        var exception = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ShapesGenerator.Generate(options));
        Assert.AreEqual($"options.{optionName}", exception.ParamName);
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float value in values)
        {
            sum += value;
        }

        return sum;
    }
}
