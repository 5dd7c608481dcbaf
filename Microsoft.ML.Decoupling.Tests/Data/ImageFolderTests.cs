using System.Buffers.Binary;
using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class ImageFolderTests
{
    private static readonly (byte R, byte G, byte B) Red = (255, 0, 0);
    private static readonly (byte R, byte G, byte B) Green = (0, 255, 0);
    private static readonly (byte R, byte G, byte B) Blue = (0, 0, 255);

    private string _root = "";

    [TestInitialize]
    public void CreateDirectory() => _root = TestDatasets.CreateTempDirectory("image-folder-tests");

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_root, recursive: true);

    [TestMethod]
    public void Load_GivesOneRowPerImage_SortedByOrdinalClassThenFileName()
    {
        // Ordinal order: "Moose" < "ant" < "zebra" (a culture-aware sort would put "ant" first).
        WriteSolidPng(Path.Combine(Dir("zebra"), "b.png"), 2, 2, Red);
        WriteSolidPng(Path.Combine(Dir("zebra"), "a.PNG"), 2, 2, Red);
        WriteSolidPng(Path.Combine(Dir("ant"), "x.Jpg"), 2, 2, Green);
        WriteSolidPng(Path.Combine(Dir("ant"), "y.jpeg"), 2, 2, Green);
        WriteSolidBmp(Path.Combine(Dir("Moose"), "m.BMP"), 2, 2, Blue);
        File.WriteAllText(Path.Combine(Dir("ant"), "notes.txt"), "not an image");
        WriteSolidPng(Path.Combine(Dir(Path.Combine("ant", "nested")), "ignored.png"), 2, 2, Red);
        File.WriteAllText(Path.Combine(_root, "README.txt"), "a file at the root is not a class");

        IDataView view = ImageFolderLoader.Load(new MLContext(seed: 1), _root);

        Assert.IsInstanceOfType<TextDataViewType>(view.Schema[ImageFolderLoader.ImagePathColumnName].Type);
        Assert.IsInstanceOfType<TextDataViewType>(view.Schema[DecouplingColumnNames.Label].Type);
        string[] paths = [.. view.GetColumn<string>(ImageFolderLoader.ImagePathColumnName)];
        string[] labels = [.. view.GetColumn<string>(DecouplingColumnNames.Label)];
        CollectionAssert.AreEqual(
            new[] { "Moose/m.BMP", "ant/x.Jpg", "ant/y.jpeg", "zebra/a.PNG", "zebra/b.png" }.Select(Full).ToArray(), paths);
        CollectionAssert.AreEqual(new[] { "Moose", "ant", "ant", "zebra", "zebra" }, labels);
        CollectionAssert.AreEqual(new[] { "Moose", "ant", "zebra" }, ImageFolderLoader.GetClassNames(_root).ToArray());
    }

    [TestMethod]
    public void Load_CustomColumnNames_AreUsed()
    {
        WriteSolidPng(Path.Combine(Dir("a"), "1.png"), 2, 2, Red);

        IDataView view = ImageFolderLoader.Load(new MLContext(seed: 1), _root, imagePathColumnName: "File", labelColumnName: "Class");

        CollectionAssert.AreEqual(new[] { "File", "Class" }, view.Schema.Select(column => column.Name).ToArray());
    }

    [TestMethod]
    public void Pipeline_SolidColours_GiveExactPlanarRgbValues()
    {
        // Channel order check: each primary must light exactly its own plane (0 = red, 1 = green, 2 = blue).
        WriteSolidPng(Path.Combine(Dir("a_red"), "red.png"), 4, 4, Red);
        WriteSolidPng(Path.Combine(Dir("b_green"), "green.png"), 4, 4, Green);
        WriteSolidPng(Path.Combine(Dir("c_blue"), "blue.png"), 4, 4, Blue);
        var mlContext = new MLContext(seed: 1);

        float[][] images = ExtractImages(mlContext, ImageFolderLoader.CreatePipeline(mlContext, imageWidth: 4, imageHeight: 4));

        Assert.HasCount(3, images);
        for (int colour = 0; colour < 3; colour++)
        {
            Assert.HasCount(3 * 4 * 4, images[colour]);
            for (int channel = 0; channel < 3; channel++)
            {
                float expected = channel == colour ? 1f : 0f;
                float[] plane = images[colour][(channel * 16)..((channel + 1) * 16)];
                Assert.IsTrue(plane.All(value => value == expected), $"image {colour}, channel {channel}: {string.Join(", ", plane)}");
            }
        }
    }

    [TestMethod]
    public void Pipeline_DistinctPixels_AreLaidOutChannelThenRowThenColumn()
    {
        // A 3×2 image whose every pixel differs; resizing to its own size keeps it, so each value can be located.
        const int width = 3, height = 2;
        WritePng(Path.Combine(Dir("only"), "grid.png"), width, height, (x, y) => ((byte)(10 + x + (10 * y)), (byte)(100 + x + (10 * y)), (byte)(200 + x + (10 * y))));
        var mlContext = new MLContext(seed: 1);
        var options = new ImageFolderPipelineOptions { ImageWidth = width, ImageHeight = height, Resizing = ImageResizingEstimator.ResizingKind.Fill };

        float[] image = ExtractImages(mlContext, ImageFolderLoader.CreatePipeline(mlContext, options)).Single();

        float[] expected = [.. from channel in new[] { 10, 100, 200 }
                               from y in Enumerable.Range(0, height)
                               from x in Enumerable.Range(0, width)
                               select (channel + x + (10 * y)) * ImageFolderLoader.PixelScale];
        CollectionAssert.AreEqual(expected, image);
    }

    [TestMethod]
    public void Pipeline_Schema_HasKnownSizeResizedVectorAndKeyLabelInOrdinalOrder()
    {
        WriteSolidPng(Path.Combine(Dir("b"), "1.png"), 5, 3, Red);
        WriteSolidPng(Path.Combine(Dir("B"), "1.png"), 7, 7, Green);
        WriteSolidPng(Path.Combine(Dir("a"), "1.png"), 2, 9, Blue);
        var mlContext = new MLContext(seed: 1);
        var options = new ImageFolderPipelineOptions { ImageWidth = 6, ImageHeight = 2 };
        IDataView input = ImageFolderLoader.Load(mlContext, _root);

        IDataView output = ImageFolderLoader.CreatePipeline(mlContext, options).Fit(input).Transform(input);

        var imageType = (VectorDataViewType)output.Schema[DecouplingColumnNames.Image].Type;
        Assert.AreEqual(NumberDataViewType.Single, imageType.ItemType);
        Assert.IsTrue(imageType.IsKnownSize);
        Assert.AreEqual(3 * 2 * 6, imageType.Size);
        Assert.AreEqual(options.ImageSize, imageType.Size);
        Assert.IsTrue(output.GetColumn<VBuffer<float>>(DecouplingColumnNames.Image).All(image => image.Length == 36));

        DataViewSchema.Column label = output.Schema[DecouplingColumnNames.Label];
        Assert.AreEqual(3UL, ((KeyDataViewType)label.Type).Count);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        label.GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(
            ImageFolderLoader.GetClassNames(_root).ToArray(), keyValues.DenseValues().Select(name => name.ToString()).ToArray());
        CollectionAssert.AreEqual(new[] { "B", "a", "b" }, ImageFolderLoader.GetClassNames(_root).ToArray());
        CollectionAssert.AreEqual(new uint[] { 1, 2, 3 }, output.GetColumn<uint>(DecouplingColumnNames.Label).ToArray());

        // Only the vector is visible under the image column's name; the loaded and resized images stay hidden.
        string[] visible = [.. output.Schema.Where(column => !column.IsHidden).Select(column => column.Name)];
        CollectionAssert.AreEquivalent(new[] { ImageFolderLoader.ImagePathColumnName, DecouplingColumnNames.Label, DecouplingColumnNames.Image }, visible);
    }

    [TestMethod]
    public void Pipeline_Grayscale_GivesOneChannelOfBt601Luma()
    {
        WriteSolidPng(Path.Combine(Dir("a_grey"), "grey.png"), 4, 4, (100, 100, 100));
        WriteSolidPng(Path.Combine(Dir("b_white"), "white.png"), 4, 4, (255, 255, 255));
        WriteSolidPng(Path.Combine(Dir("c_red"), "red.png"), 4, 4, Red);
        WriteSolidPng(Path.Combine(Dir("d_green"), "green.png"), 4, 4, Green);
        WriteSolidPng(Path.Combine(Dir("e_blue"), "blue.png"), 4, 4, Blue);
        var mlContext = new MLContext(seed: 1);
        var options = new ImageFolderPipelineOptions { ImageWidth = 4, ImageHeight = 4, Grayscale = true };

        float[][] images = ExtractImages(mlContext, ImageFolderLoader.CreatePipeline(mlContext, options));

        Assert.AreEqual(1, options.Channels);
        Assert.HasCount(16, images[0]);
        Assert.IsTrue(images[0].All(value => Math.Abs(value - (100 / 255f)) <= 1.5f / 255), string.Join(", ", images[0]));
        Assert.IsTrue(images[1].All(value => value == 1f), string.Join(", ", images[1]));

        // ConvertToGrayscale weighs 0.299 R + 0.587 G + 0.114 B: 76, 150 and 29 (±1 for rounding) of 255.
        int[] primaries = [.. images[2..].Select(image => (int)Math.Round(image.Distinct().Single() * 255))];
        Assert.AreEqual(76, primaries[0], 1);
        Assert.AreEqual(150, primaries[1], 1);
        Assert.AreEqual(29, primaries[2], 1);
    }

    [TestMethod]
    public void Pipeline_JpegAndBmp_AreDecoded()
    {
        WriteSolidBmp(Path.Combine(Dir("bmp"), "red.bmp"), 4, 4, Red);
        WriteSolidPng(Path.Combine(Dir("jpg"), "blue.jpg"), 4, 4, Blue);
        var mlContext = new MLContext(seed: 1);

        float[][] images = ExtractImages(mlContext, ImageFolderLoader.CreatePipeline(mlContext, imageWidth: 4, imageHeight: 4));

        byte[] jpeg = File.ReadAllBytes(Path.Combine(_root, "jpg", "blue.jpg"));
        Assert.IsTrue(jpeg[0] == 0xFF && jpeg[1] == 0xD8, "the test image is really JPEG-encoded");
        float[] expectedRed = [.. Enumerable.Repeat(1f, 16), .. Enumerable.Repeat(0f, 32)];
        CollectionAssert.AreEqual(expectedRed, images[0], "BMP is lossless");
        float[] expectedBlue = [.. Enumerable.Repeat(0f, 32), .. Enumerable.Repeat(1f, 16)];
        for (int i = 0; i < expectedBlue.Length; i++)
        {
            Assert.AreEqual(expectedBlue[i], images[1][i], 8f / 255, $"JPEG value {i}");
        }
    }

    [TestMethod]
    public void Pipeline_FeedsDecoupleNetwork_EndToEnd()
    {
        // 3 classes × 8 noisy 16×16 images of a dominant colour; one epoch of a tiny gated network.
        var random = new Random(7);
        (string Name, (byte R, byte G, byte B) Colour)[] classes = [("blue", Blue), ("green", Green), ("red", Red)];
        foreach ((string name, (byte r, byte g, byte b)) in classes)
        {
            for (int i = 0; i < 8; i++)
            {
                WritePng(Path.Combine(Dir(name), $"{i:D2}.png"), 16, 16, (_, _) => (Noisy(r), Noisy(g), Noisy(b)));
            }
        }

        var mlContext = new MLContext(seed: 1);
        var pipelineOptions = new ImageFolderPipelineOptions { ImageWidth = 16, ImageHeight = 16 };
        var networkOptions = pipelineOptions.ConfigureNetwork(new DecoupleNetworkEstimator.Options
        {
            Epochs = 1,
            BatchSize = 8,
            Architecture = NetworkArchitecture.Vgg("8,M,8,8"),
            Seed = 3,
        });
        IDataView data = ImageFolderLoader.Load(mlContext, _root);

        var model = ImageFolderLoader.CreatePipeline(mlContext, pipelineOptions)
            .Append(mlContext.Transforms.DecoupleNetwork(networkOptions))
            .Fit(data);
        try
        {
            IDataView scored = model.Transform(data);
            DecoupledNetworkTransformer network = model.LastTransformer;

            Assert.AreEqual(3, networkOptions.ImageChannels);
            CollectionAssert.AreEqual(new[] { 3 }, ((VectorDataViewType)scored.Schema[DecouplingColumnNames.Score].Type).Dimensions.ToArray());
            int pathLength = network.PathLayout.PathLength;
            Assert.IsGreaterThan(0, pathLength);
            CollectionAssert.AreEqual(new[] { pathLength }, ((VectorDataViewType)scored.Schema[DecouplingColumnNames.Path].Type).Dimensions.ToArray());
            // GetColumn reuses the VBuffer's array from row to row: copy each row out.
            float[][] scores = [.. scored.GetColumn<VBuffer<float>>(DecouplingColumnNames.Score).Select(score => score.DenseValues().ToArray())];
            Assert.HasCount(24, scores);
            Assert.IsTrue(scores.All(score => score.Length == 3 && Math.Abs(score.Sum() - 1) < 1e-4), "scores are probabilities");
            Assert.IsTrue(
                scored.GetColumn<VBuffer<float>>(DecouplingColumnNames.Path).All(path => path.Length == pathLength && path.DenseValues().All(bit => bit is 0f or 1f)),
                "paths are 0/1 of the layout's length");

            // The whole chain, image transforms included, saves as a standard ML.NET model that gives the same scores.
            string file = Path.Combine(_root, "model.zip");
            mlContext.Model.Save(model, data.Schema, file);
            ITransformer loaded = new MLContext(seed: 2).Model.Load(file, out _);
            try
            {
                float[] before = [.. scores.SelectMany(score => score)];
                float[] after = [.. loaded.Transform(data).GetColumn<VBuffer<float>>(DecouplingColumnNames.Score).SelectMany(score => score.DenseValues())];
                Assert.HasCount(before.Length, after);
                for (int i = 0; i < before.Length; i++)
                {
                    Assert.AreEqual(before[i], after[i], 1e-4f, $"score value {i} after reload");
                }
            }
            finally
            {
                (loaded as IDisposable)?.Dispose();
            }
        }
        finally
        {
            model.LastTransformer.Dispose();
        }

        byte Noisy(byte value) => (byte)Math.Clamp(value + random.Next(-40, 41), 0, 255);
    }

    [TestMethod]
    public void Load_MissingFolder_ThrowsDirectoryNotFound()
    {
        string missing = Path.Combine(_root, "missing");

        var exception = Assert.ThrowsExactly<DirectoryNotFoundException>(() => ImageFolderLoader.Load(new MLContext(seed: 1), missing));

        Assert.Contains(missing, exception.Message);
    }

    [TestMethod]
    public void Load_NoClassFolders_ThrowsNamingTheLayout()
    {
        WriteSolidPng(Path.Combine(_root, "loose.png"), 2, 2, Red);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderLoader.Load(new MLContext(seed: 1), _root));

        Assert.Contains("no class folders", exception.Message);
    }

    [TestMethod]
    public void Load_ClassFolderWithoutImages_ThrowsNamingTheFolder()
    {
        WriteSolidPng(Path.Combine(Dir("good"), "1.png"), 2, 2, Red);
        File.WriteAllText(Path.Combine(Dir("empty"), "notes.txt"), "no images here");

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderLoader.Load(new MLContext(seed: 1), _root));

        Assert.Contains(Path.Combine(_root, "empty"), exception.Message);
        Assert.Contains("holds no image", exception.Message);
    }

    [TestMethod]
    [DataRow("garbage")]
    [DataRow("cut-header")]
    public void Load_CorruptImage_ThrowsNamingTheFileBeforeAnyTraining(string corruption)
    {
        WriteSolidPng(Path.Combine(Dir("good"), "1.png"), 2, 2, Red);
        string bad = Path.Combine(Dir("good"), "2.png");
        WriteSolidPng(bad, 2, 2, Red);
        byte[] bytes = File.ReadAllBytes(bad);
        File.WriteAllBytes(bad, corruption == "garbage" ? [.. Enumerable.Range(0, 64).Select(i => (byte)(i * 7))] : bytes[..12]);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => ImageFolderLoader.Load(new MLContext(seed: 1), _root));

        Assert.Contains(Full("good/2.png"), exception.Message);
        Assert.Contains("cannot be decoded", exception.Message);
    }

    [TestMethod]
    public void Load_SameColumnNames_Throws()
    {
        WriteSolidPng(Path.Combine(Dir("a"), "1.png"), 2, 2, Red);

        Assert.ThrowsExactly<ArgumentException>(
            () => ImageFolderLoader.Load(new MLContext(seed: 1), _root, imagePathColumnName: "X", labelColumnName: "X"));
    }

    [TestMethod]
    public void Create_InvalidOptions_Throw()
    {
        var mlContext = new MLContext(seed: 1);

        var width = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageFolderLoader.CreatePipeline(mlContext, imageWidth: 0, imageHeight: 4));
        Assert.AreEqual(nameof(ImageFolderPipelineOptions.ImageWidth), width.ParamName);
        var names = Assert.ThrowsExactly<ArgumentException>(
            () => ImageFolderLoader.CreatePipeline(mlContext, new ImageFolderPipelineOptions { ImageColumnName = DecouplingColumnNames.Label }));
        Assert.AreEqual(nameof(ImageFolderPipelineOptions.ImageColumnName), names.ParamName);
    }

    /// <summary>Loads the temp folder, runs <paramref name="pipeline"/> and returns the image vectors in row order.</summary>
    private float[][] ExtractImages(MLContext mlContext, IEstimator<ITransformer> pipeline)
    {
        IDataView input = ImageFolderLoader.Load(mlContext, _root);
        IDataView output = pipeline.Fit(input).Transform(input);
        return [.. output.GetColumn<VBuffer<float>>(DecouplingColumnNames.Image).Select(image => image.DenseValues().ToArray())];
    }

    private string Dir(string name)
    {
        string directory = Path.Combine(_root, name);
        Directory.CreateDirectory(directory);
        return directory;
    }

    private string Full(string relative) => Path.GetFullPath(Path.Combine(_root, relative));

    private static void WriteSolidPng(string path, int width, int height, (byte R, byte G, byte B) colour) =>
        WritePng(path, width, height, (_, _) => colour);

    /// <summary>Encodes an opaque RGB image with ML.NET's own image type; the encoder follows the extension.</summary>
    private static void WritePng(string path, int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        byte[] rgba = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                (byte r, byte g, byte b) = pixel(x, y);
                int offset = ((y * width) + x) * 4;
                rgba[offset] = r;
                rgba[offset + 1] = g;
                rgba[offset + 2] = b;
                rgba[offset + 3] = 255;
            }
        }

        using MLImage image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba);
        image.Save(path);
    }

    /// <summary>Writes an uncompressed 24-bit bottom-up BMP (Skia decodes BMP but cannot encode it).</summary>
    private static void WriteSolidBmp(string path, int width, int height, (byte R, byte G, byte B) colour)
    {
        int rowSize = ((width * 3) + 3) & ~3;
        int imageSize = rowSize * height;
        byte[] file = new byte[54 + imageSize];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), imageSize);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int offset = 54 + (y * rowSize) + (x * 3);
                file[offset] = colour.B;
                file[offset + 1] = colour.G;
                file[offset + 2] = colour.R;
            }
        }

        File.WriteAllBytes(path, file);
    }
}
