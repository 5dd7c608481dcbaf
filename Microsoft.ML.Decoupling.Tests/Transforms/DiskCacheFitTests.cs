using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>The estimator's training data in memory or in a disk cache (TrainingDataInMemoryLimitMegabytes).</summary>
[TestClass]
public sealed class DiskCacheFitTests
{
    // 300 images of 1×32×32 floats are 4 KiB each, 1.2 MB in all: a limit of 1 MB spills after 256 of them.
    private static readonly ImageDataset _train = ShapesGenerator.Generate(count: 300, seed: 71, imageSize: 32).Images;
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-disk-cache");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private DecoupleNetworkEstimator.Options Options(int limitMegabytes) => new()
    {
        Architecture = NetworkArchitecture.Vgg("4,M,8,8"),
        Epochs = 2,
        BatchSize = 32,
        MaximumSteps = 12,
        LearningRate = 0.05,
        MutualInformationWeight = 0.5,
        SparsityWeight = 0.05,
        TargetRatio = 0.5,
        NormalizeFromData = true,
        Augmentation = new(CropPadding: 2, HorizontalFlip: true),
        Seed = 5,
        TrainingDataInMemoryLimitMegabytes = limitMegabytes,
        TrainingCacheFolder = _folder,
    };

    private static List<string> CaptureLog(MLContext ml)
    {
        var log = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Source.Contains(nameof(DecoupleNetworkEstimator), StringComparison.Ordinal))
            {
                lock (log)
                {
                    log.Add(e.RawMessage);
                }
            }
        };
        return log;
    }

    private (StateDictSnapshot Weights, object[] History, string DataLine) Fit(DecoupleNetworkEstimator.Options options, bool knownRowCount)
    {
        var ml = new MLContext(seed: 1);
        var log = CaptureLog(ml);
        var view = _train.ToDataView(ml); // An enumerable: the row count is unknown.
        using var model = ml.Transforms.DecoupleNetwork(options).Fit(knownRowCount ? new KnownRowCountDataView(view, _train.Count) : view);
        Assert.IsEmpty(Directory.GetFileSystemEntries(_folder), "no cache file is left after Fit");
        return (StateDictSnapshot.Of(model.Network), model.TrainingHistory.Select(r => (object)(r with { Seconds = 0 })).ToArray(),
            log.Single(line => line.StartsWith("Training data:", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Fit_FromTheDiskCache_EqualsTheInMemoryFit()
    {
        var inMemory = Fit(Options(limitMegabytes: 2048), knownRowCount: false);
        var spilledWhileReading = Fit(Options(limitMegabytes: 1), knownRowCount: false);
        var cachedFromTheStart = Fit(Options(limitMegabytes: 0), knownRowCount: true);

        StringAssert.Contains(inMemory.DataLine, "in memory");
        StringAssert.Contains(spilledWhileReading.DataLine, $"disk cache in '{_folder}'");
        StringAssert.Contains(cachedFromTheStart.DataLine, "disk cache");
        Assert.HasCount(2, inMemory.History, "12 steps: one epoch of 10 and 2 batches of the second");
        StateDictSnapshot.AssertIdentical(inMemory.Weights, spilledWhileReading.Weights, "spilled to disk while reading");
        StateDictSnapshot.AssertIdentical(inMemory.Weights, cachedFromTheStart.Weights, "disk cache from the first row");
        CollectionAssert.AreEqual(inMemory.History, spilledWhileReading.History);
        CollectionAssert.AreEqual(inMemory.History, cachedFromTheStart.History);
    }

    [TestMethod]
    public void Checkpoint_OfAnInMemoryFit_ResumesADiskCacheFit()
    {
        string checkpoint = Path.Combine(TestDatasets.CreateTempDirectory("decoupling-disk-cache-checkpoint"), "run.ckpt");
        try
        {
            var options = Options(limitMegabytes: 2048);
            options.Epochs = 1;
            options.MaximumSteps = null;
            options.CheckpointPath = checkpoint;
            var first = Fit(options, knownRowCount: false);
            options.TrainingDataInMemoryLimitMegabytes = 0;
            var resumed = Fit(options, knownRowCount: false);
            StringAssert.Contains(resumed.DataLine, "disk cache");
            StateDictSnapshot.AssertIdentical(first.Weights, resumed.Weights, "resumed with nothing left to train: same data hash and normalisation");
            CollectionAssert.AreEqual(first.History, resumed.History);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(checkpoint)!, recursive: true);
        }
    }

    [TestMethod]
    public void Fit_FailingOnALateRow_LeavesNoCacheFile()
    {
        var rows = Enumerable.Range(0, 40).Select(i => new Row { Image = new float[256], Label = (uint)(i % 2) }).ToArray();
        rows[^1].Image[9] = 2f;
        var ml = new MLContext(seed: 1);
        var options = Options(limitMegabytes: 0);
        options.ImageChannels = 1;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DecoupleNetwork(options).Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(error.Message, "'Image'");
        StringAssert.Contains(error.Message, "row 39");
        Assert.AreEqual(0, OpenFiles.CountUnder(_folder));
        Assert.IsEmpty(Directory.GetFileSystemEntries(_folder));
    }

    [TestMethod]
    public void Fit_CancelledDuringTraining_LeavesNoCacheFile()
    {
        var ml = new MLContext(seed: 1);
        using var cancellation = new CancellationTokenSource();
        bool cacheExisted = false;
        ml.Log += (_, e) =>
        {
            if (e.RawMessage.StartsWith("Training data:", StringComparison.Ordinal))
            {
                cacheExisted = OpenFiles.CountUnder(_folder) == 1;
                cancellation.Cancel();
            }
        };
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            ml.Transforms.DecoupleNetwork(Options(limitMegabytes: 0)).Fit(_train.ToDataView(ml), cancellation.Token));
        Assert.IsTrue(cacheExisted, "the cache was open while training");
        Assert.AreEqual(0, OpenFiles.CountUnder(_folder), "the cache is closed, so its space is freed");
        Assert.IsEmpty(Directory.GetFileSystemEntries(_folder));
    }

    [TestMethod]
    public void Options_OutOfRange_NameTheOption()
    {
        var ml = new MLContext(seed: 1);
        void Refused<TException>(Action<DecoupleNetworkEstimator.Options> change, string option)
            where TException : ArgumentException
        {
            var options = Options(limitMegabytes: 0);
            change(options);
            var error = Assert.ThrowsExactly<TException>(() => ml.Transforms.DecoupleNetwork(options));
            Assert.AreEqual(option, error.ParamName);
        }

        string file = Path.Combine(_folder, "a-file");
        File.WriteAllText(file, "");
        Refused<ArgumentOutOfRangeException>(o => o.TrainingDataInMemoryLimitMegabytes = -1, "TrainingDataInMemoryLimitMegabytes");
        Refused<ArgumentException>(o => o.TrainingCacheFolder = " ", "TrainingCacheFolder");
        Refused<ArgumentException>(o => o.TrainingCacheFolder = file, "TrainingCacheFolder");
        Refused<ArgumentOutOfRangeException>(o => o.MaximumSteps = 0, "MaximumSteps");

        // A folder that cannot be made (below a file): refused when Fit starts, before any row is read.
        var options = Options(limitMegabytes: 0);
        options.TrainingCacheFolder = Path.Combine(file, "cache");
        var unread = new KnownRowCountDataView(_train.ToDataView(ml), _train.Count) { RefuseCursors = true };
        var error = Assert.ThrowsExactly<IOException>(() => ml.Transforms.DecoupleNetwork(options).Fit(unread));
        StringAssert.Contains(error.Message, "TrainingCacheFolder");
    }

    private sealed class Row
    {
        [VectorType(256)]
        public float[] Image { get; set; } = [];

        [KeyType(2)]
        public uint Label { get; set; }
    }

    /// <summary>A data view that states its row count (ML.NET's enumerable views do not know it).</summary>
    private sealed class KnownRowCountDataView(IDataView inner, long rows) : IDataView
    {
        public bool RefuseCursors { get; init; }

        public bool CanShuffle => inner.CanShuffle;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => rows;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            RefuseCursors ? throw new InvalidOperationException("read") : inner.GetRowCursor(columnsNeeded, rand);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            RefuseCursors ? throw new InvalidOperationException("read") : inner.GetRowCursorSet(columnsNeeded, n, rand);
    }
}
