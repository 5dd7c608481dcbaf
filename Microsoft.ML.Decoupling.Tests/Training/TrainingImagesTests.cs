using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class TrainingImagesTests
{
    private static readonly ImageShape _shape = new(1, 16, 16);
    private static readonly ImageDataset _data = ShapesGenerator.Generate(count: 96, seed: 61, imageSize: 16).Images;
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-training-images");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private DiskCachedTrainingImages WriteCache(ImageDataset data)
    {
        var cache = DiskCachedTrainingImages.Create(_folder, new ImageShape(data.Channels, data.Height, data.Width));
        for (int i = 0; i < data.Count; i++)
        {
            cache.Append(data.GetImage(i), data.GetLabel(i));
        }

        cache.Complete();
        return cache;
    }

    [TestMethod]
    public void DiskCache_ReadsBackTheImagesAndHashesLikeHashData_WithoutANameOnDisk_ThenFreesIt()
    {
        string expectedHash = TrainingCheckpoint.HashData(_data.Pixels, _data.Labels);
        string path;
        using (var cache = WriteCache(_data))
        using (var memory = new InMemoryTrainingImages(_data.Pixels, _data.Labels, _shape))
        {
            path = cache.FilePath;
            Assert.IsTrue(cache.IsUnlinked, "on Linux the name is removed at creation");
            Assert.IsFalse(File.Exists(path), "no name on disk: a killed process leaves nothing behind");
            Assert.AreEqual(1, OpenFiles.CountUnder(_folder), "the data stay reachable through the open handle");
            Assert.AreEqual(_data.Count, cache.Count);
            Assert.AreEqual((long)_data.Count * _shape.Size * sizeof(float), cache.SizeInBytes);
            Assert.AreEqual(expectedHash, cache.DataHash, "fed while writing, labels at the end");
            Assert.AreEqual(expectedHash, memory.DataHash);
            var read = new float[_shape.Size];
            foreach (int i in new[] { 0, 1, 57, _data.Count - 1 })
            {
                cache.ReadImage(i, read);
                CollectionAssert.AreEqual(_data.GetImage(i).ToArray(), read, $"image {i}");
                Assert.AreEqual(_data.GetLabel(i), cache.Label(i));
            }
        }

        Assert.AreEqual(0, OpenFiles.CountUnder(_folder), "Dispose closes the handle, which frees the space");
        Assert.IsEmpty(Directory.GetFileSystemEntries(_folder));
    }

    [TestMethod]
    public void FreeSpaceCheck_TooLittleSpace_NamesTheOptionAndSizes()
    {
        Transforms.TrainingDataReader.RequireFreeSpace(_folder, 1); // a byte fits anywhere
        var error = Assert.ThrowsExactly<IOException>(() => Transforms.TrainingDataReader.RequireFreeSpace(_folder, long.MaxValue / 2));
        StringAssert.Contains(error.Message, "TrainingCacheFolder");
        StringAssert.Contains(error.Message, _folder);
        StringAssert.Contains(error.Message, "GB free");
    }

    [TestMethod]
    public void StreamingStatistics_EqualTheWholeArrayComputationBitForBit()
    {
        // Three channels of uneven values, many images: the per-channel sums in the order of the former Measure
        // (channel by channel, image after image) are the reference.
        var shape = new ImageShape(3, 5, 7);
        int count = 211;
        var random = new Random(7);
        var pixels = new float[count * shape.Size];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)Math.Pow(random.NextDouble(), 1 + (i % 3));
        }

        int plane = shape.Height * shape.Width;
        var statistics = new ChannelStatistics(shape);
        for (int i = 0; i < count; i++)
        {
            statistics.Add(pixels.AsSpan(i * shape.Size, shape.Size));
        }

        var streamed = statistics.ToNormalization();
        var measured = InputNormalization.Measure(pixels, count, shape);
        for (int c = 0; c < shape.Channels; c++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < count; i++)
            {
                foreach (float v in pixels.AsSpan((i * shape.Size) + (c * plane), plane))
                {
                    sum += v;
                    squares += (double)v * v;
                }
            }

            double n = (double)count * plane, m = sum / n;
            float sd = (float)Math.Sqrt(Math.Max(0, (squares / n) - (m * m)));
            Assert.AreEqual(BitConverter.SingleToInt32Bits((float)m), BitConverter.SingleToInt32Bits(streamed.Mean[c]), $"mean of channel {c}");
            Assert.AreEqual(BitConverter.SingleToInt32Bits(sd), BitConverter.SingleToInt32Bits(streamed.StandardDeviation[c]), $"deviation of channel {c}");
            Assert.AreEqual(streamed.Mean[c], measured.Mean[c]);
            Assert.AreEqual(streamed.StandardDeviation[c], measured.StandardDeviation[c]);
        }
    }

    [TestMethod]
    public void Train_FromTheDiskCache_EqualsTrainingInMemory()
    {
        var settings = Settings() with { Augmentation = ImageAugmentation.Cifar };
        StateDictSnapshot Train(TrainingImages images, out EpochReport[] reports)
        {
            using var network = Build();
            reports = new DecouplingTrainer(settings).Train(network, images).Select(r => r with { Seconds = 0 }).ToArray();
            return StateDictSnapshot.Of(network);
        }

        using var memory = new InMemoryTrainingImages(_data.Pixels, _data.Labels, _shape);
        using var cache = WriteCache(_data);
        var expected = Train(memory, out var expectedReports);
        var actual = Train(cache, out var actualReports);
        StateDictSnapshot.AssertIdentical(expected, actual, "disk cache against memory");
        CollectionAssert.AreEqual(expectedReports, actualReports);
    }

    [TestMethod]
    public void MaximumSteps_StopsAfterThatManyBatches()
    {
        // 96 images in batches of 32: 3 steps an epoch. A limit of 3 ends the run after the first epoch, which gives
        // exactly the weights of a 3-epoch run stopped after its first epoch.
        StateDictSnapshot limited;
        IReadOnlyList<EpochReport> reports;
        using (var network = Build())
        {
            reports = new DecouplingTrainer(Settings() with { MaximumSteps = 3 }).Train(network, _data.Pixels, _data.Labels);
            limited = StateDictSnapshot.Of(network);
        }

        Assert.HasCount(1, reports);
        using (var network = Build())
        {
            using var stop = new CancellationTokenSource();
            Assert.ThrowsExactly<OperationCanceledException>(() =>
                new DecouplingTrainer(Settings(), _ => stop.Cancel()).Train(network, _data.Pixels, _data.Labels, stop.Token));
            StateDictSnapshot.AssertIdentical(limited, StateDictSnapshot.Of(network), "3 steps against one whole epoch");
        }

        // A limit inside the second epoch: a report for it, averaged over the batches it ran; the checkpoint keeps epoch 1.
        string checkpoint = Path.Combine(_folder, "run.ckpt");
        using (var network = Build())
        {
            reports = new DecouplingTrainer(Settings() with { MaximumSteps = 4, CheckpointPath = checkpoint }).Train(network, _data.Pixels, _data.Labels);
        }

        Assert.HasCount(2, reports);
        Assert.IsTrue(double.IsFinite(reports[1].Total) && reports[1].TrainAccuracy is >= 0 and <= 1, reports[1].ToString());
        Assert.AreEqual(1, TrainingCheckpoint.ReadHeader(checkpoint).Header.CompletedEpochs);
    }

    [TestMethod]
    public void MaximumSteps_BelowTheCheckpointsSteps_RefusesToResume()
    {
        string checkpoint = Path.Combine(_folder, "run.ckpt");
        using var network = Build();
        new DecouplingTrainer(Settings() with { Epochs = 1, CheckpointPath = checkpoint }).Train(network, _data.Pixels, _data.Labels);
        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            new DecouplingTrainer(Settings() with { Epochs = 1, CheckpointPath = checkpoint, MaximumSteps = 2 }).Train(network, _data.Pixels, _data.Labels));
        StringAssert.Contains(error.Message, "MaximumSteps");
        var zero = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DecouplingTrainer(Settings() with { MaximumSteps = 0 }));
        Assert.AreEqual(nameof(TrainingSettings.MaximumSteps), zero.ParamName);
    }

    [TestMethod]
    public void Train_ABatchLargerThanOneArray_IsRefusedNamingBatchSize()
    {
        // 20 000 images of 3×224×224 exceed 2^31 values, which only a disk cache holds; a batch of 16 384 of them would too.
        var shape = new ImageShape(3, 224, 224);
        using var network = NetworkArchitecture.Vgg("4,4,4").Build(shape, 2, seed: 1);
        using var images = new UnreadableTrainingImages(20_000, shape);
        var settings = Settings() with { BatchSize = 16_384 };
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DecouplingTrainer(settings).Train(network, images));
        Assert.AreEqual(nameof(TrainingSettings.BatchSize), error.ParamName);
        StringAssert.Contains(error.Message, $"at most {Array.MaxLength / shape.Size}");
    }

    /// <summary>Many images that are never read (the trainer must refuse before it reads one).</summary>
    private sealed class UnreadableTrainingImages(int count, ImageShape shape) : TrainingImages
    {
        public override int Count => count;

        public override ImageShape Shape => shape;

        public override string DataHash => throw new InvalidOperationException("hashed");

        public override void ReadImage(int index, Span<float> target) => throw new InvalidOperationException("read");

        public override int Label(int index) => throw new InvalidOperationException("read");
    }

    private static TrainingSettings Settings() => new(3, 32, 0.05, 0.9, 1e-4, new LossWeights(0.5, 1, 0.05, 0.5), 9);

    private static DecoupledNetwork Build() => NetworkArchitecture.Vgg("4,M,8,8").Build(_shape, ShapesGenerator.ClassNames.Count, seed: 4);
}
