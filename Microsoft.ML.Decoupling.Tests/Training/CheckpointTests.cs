using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class CheckpointTests
{
    private const string SmallLayout = "8,16,M,16,32";
    private static readonly ImageShape _shape = new(1, 16, 16);
    private static readonly ImageDataset _data = ShapesGenerator.Generate(count: 64, seed: 31, imageSize: 16).Images;
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-checkpoint");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    // The short-training loss weights (every term active) and augmentation: a resumed run must replay all random streams.
    private static TrainingSettings Settings(string? checkpoint, int epochs = 4) =>
        new(epochs, 32, 0.05, 0.9, 1e-4, new LossWeights(0.5, 1, 0.05, 0.5), 3)
        {
            CheckpointPath = checkpoint,
            Augmentation = new ImageAugmentation(2, HorizontalFlip: true),
        };

    private static DecoupledNetwork NewNetwork(int initSeed, string layout = SmallLayout, bool gated = true, InputNormalization? normalization = null) =>
        NetworkArchitecture.Vgg(layout).Build(_shape, _data.ClassNames.Count, gated, normalization: normalization, seed: initSeed);

    private static EpochReport[] WithoutTime(IEnumerable<EpochReport> reports) => reports.Select(r => r with { Seconds = 0 }).ToArray();

    private string[] FilesInFolder() => Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [TestMethod]
    public void Resume_AfterCancellingAtAnEpochBoundary_EqualsAnUninterruptedRun()
    {
        string full = Path.Combine(_folder, "full.ckpt");
        string interrupted = Path.Combine(_folder, "interrupted.ckpt");

        IReadOnlyList<EpochReport> uninterrupted;
        StateDictSnapshot expected;
        using (var network = NewNetwork(7))
        {
            uninterrupted = new DecouplingTrainer(Settings(full)).Train(network, _data.Pixels, _data.Labels);
            expected = StateDictSnapshot.Of(network);
        }

        Assert.HasCount(4, uninterrupted);

        using var cancellation = new CancellationTokenSource();
        var seenFirst = new List<int>();
        void StopAfterTwo(EpochReport report)
        {
            seenFirst.Add(report.Epoch);
            // The checkpoint of an epoch is written before its report is delivered.
            var header = TrainingCheckpoint.ReadHeader(interrupted).Header;
            Assert.AreEqual(report.Epoch, header.CompletedEpochs);
            Assert.AreEqual(report, header.History[^1], "the checkpoint's last history entry is the report being delivered");
            if (report.Epoch == 2)
            {
                cancellation.Cancel();
            }
        }

        using (var network = NewNetwork(7))
        {
            Assert.ThrowsExactly<OperationCanceledException>(
                () => new DecouplingTrainer(Settings(interrupted), StopAfterTwo).Train(network, _data.Pixels, _data.Labels, cancellation.Token));
        }

        CollectionAssert.AreEqual(new[] { 1, 2 }, seenFirst);
        var saved = TrainingCheckpoint.ReadHeader(interrupted).Header;
        Assert.AreEqual(2, saved.CompletedEpochs);
        Assert.AreEqual(4, saved.Epochs);
        CollectionAssert.AreEqual(uninterrupted.Take(2).Select(r => r with { Seconds = 0 }).ToArray(), WithoutTime(saved.History));
        CollectionAssert.AreEqual(new[] { "full.ckpt", "interrupted.ckpt" }, FilesInFolder(), "no temporary files after saves and a cancelled run");

        // A fresh network with a different initialisation: everything must come from the checkpoint.
        var seenResumed = new List<int>();
        var progress = new List<string>();
        IReadOnlyList<EpochReport> resumed;
        using (var network = NewNetwork(99))
        {
            resumed = new DecouplingTrainer(Settings(interrupted), r => seenResumed.Add(r.Epoch), progress.Add).Train(network, _data.Pixels, _data.Labels);
            StateDictSnapshot.AssertIdentical(expected, StateDictSnapshot.Of(network), "resumed vs uninterrupted");
        }

        CollectionAssert.AreEqual(new[] { 3, 4 }, seenResumed, "the resumed run trains epochs 3 and 4 only");
        Assert.IsTrue(progress.Any(l => l.Contains("resumed from checkpoint", StringComparison.Ordinal) && l.Contains("after epoch 2/4", StringComparison.Ordinal)), string.Join('\n', progress));
        CollectionAssert.AreEqual(WithoutTime(uninterrupted), WithoutTime(resumed));
        Assert.AreEqual(4, TrainingCheckpoint.ReadHeader(interrupted).Header.CompletedEpochs);
        CollectionAssert.AreEqual(new[] { "full.ckpt", "interrupted.ckpt" }, FilesInFolder());
    }

    [TestMethod]
    public void CompletedCheckpoint_ReturnsItsHistoryWithoutTraining()
    {
        string path = Path.Combine(_folder, "run.ckpt");
        IReadOnlyList<EpochReport> history;
        StateDictSnapshot trained;
        using (var network = NewNetwork(7))
        {
            history = new DecouplingTrainer(Settings(path, epochs: 2)).Train(network, _data.Pixels, _data.Labels);
            trained = StateDictSnapshot.Of(network);
        }

        byte[] file = File.ReadAllBytes(path);
        var epochs = new List<EpochReport>();
        using (var network = NewNetwork(8))
        {
            var again = new DecouplingTrainer(Settings(path, epochs: 2), epochs.Add).Train(network, _data.Pixels, _data.Labels);
            CollectionAssert.AreEqual(history.ToArray(), again.ToArray(), "the stored history, Seconds included");
            StateDictSnapshot.AssertIdentical(trained, StateDictSnapshot.Of(network), "loaded from the completed checkpoint");
            Assert.IsFalse(network.training);
        }

        Assert.IsEmpty(epochs, "no epoch was trained");
        CollectionAssert.AreEqual(file, File.ReadAllBytes(path), "the checkpoint is not rewritten");
        CollectionAssert.AreEqual(new[] { "run.ckpt" }, FilesInFolder());
    }

    [TestMethod]
    public void CheckpointOfOtherSettings_IsRejectedNamingTheDifferingField()
    {
        string path = Path.Combine(_folder, "run.ckpt");
        using (var network = NewNetwork(7))
        {
            new DecouplingTrainer(Settings(path, epochs: 2)).Train(network, _data.Pixels, _data.Labels);
        }

        var same = Settings(path, epochs: 2);
        var cases = new (string Field, TrainingSettings Settings, int Count)[]
        {
            ("seed: checkpoint 3, now 4", same with { Seed = 4 }, _data.Count),
            ($"learning rate: checkpoint {0.05}, now {0.1}", same with { LearningRate = 0.1 }, _data.Count),
            ("epochs: checkpoint 2, now 3", same with { Epochs = 3 }, _data.Count),
            ("batch size: checkpoint 32, now 64", same with { BatchSize = 64 }, _data.Count),
            ("loss weights:", same with { Weights = same.Weights with { Sparsity = 0.1 } }, _data.Count),
            ("augmentation:", same with { Augmentation = null }, _data.Count),
            ("gradient clip norm: checkpoint none, now 2.5", same with { GradientClipNorm = 2.5 }, _data.Count),
            ("training images: checkpoint 64, now 48", same, 48),
        };
        foreach (var (field, settings, count) in cases)
        {
            using var network = NewNetwork(7);
            var error = Assert.ThrowsExactly<InvalidDataException>(
                () => new DecouplingTrainer(settings).Train(network, _data.Pixels.AsSpan(0, count * _shape.Size).ToArray(), _data.Labels.AsSpan(0, count).ToArray()));
            StringAssert.Contains(error.Message, field);
            StringAssert.Contains(error.Message, path);
            Assert.AreEqual(1, error.Message.Split(", now ").Length - 1, $"only the differing field is named: {error.Message}");
        }

        Assert.AreEqual(2, TrainingCheckpoint.ReadHeader(path).Header.CompletedEpochs, "a rejected run leaves the checkpoint alone");
    }

    [TestMethod]
    public void CheckpointOfOtherData_SameCount_IsRejectedNamingTheData()
    {
        string path = Path.Combine(_folder, "run.ckpt");
        using (var network = NewNetwork(7))
        {
            new DecouplingTrainer(Settings(path, epochs: 1)).Train(network, _data.Pixels, _data.Labels);
        }

        byte[] file = File.ReadAllBytes(path);
        var onePixel = (float[])_data.Pixels.Clone();
        onePixel[100] = 1f - onePixel[100];
        var oneLabel = (int[])_data.Labels.Clone();
        oneLabel[5] = (oneLabel[5] + 1) % _data.ClassNames.Count;
        foreach (var (pixels, labels) in new[] { (onePixel, _data.Labels), (_data.Pixels, oneLabel) })
        {
            using var network = NewNetwork(7);
            var before = StateDictSnapshot.Of(network);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => new DecouplingTrainer(Settings(path, epochs: 1)).Train(network, pixels, labels));
            StringAssert.Contains(error.Message, "training data: checkpoint sha256:");
            StringAssert.Contains(error.Message, path);
            Assert.AreEqual(1, error.Message.Split(", now ").Length - 1, $"only the data is named: {error.Message}");
            StateDictSnapshot.AssertIdentical(before, StateDictSnapshot.Of(network), "a refused checkpoint loads nothing");
        }

        CollectionAssert.AreEqual(file, File.ReadAllBytes(path), "a refused run leaves the checkpoint alone");
    }

    [TestMethod]
    public void CheckpointOfOtherNormalization_IsRejectedNamingIt()
    {
        var normalization = new InputNormalization([0.25f], [0.5f]);
        string path = Path.Combine(_folder, "normalized.ckpt");
        IReadOnlyList<EpochReport> history;
        using (var network = NewNetwork(7, normalization: normalization))
        {
            history = new DecouplingTrainer(Settings(path, epochs: 1)).Train(network, _data.Pixels, _data.Labels);
        }

        var cases = new (InputNormalization? Normalization, string Expected)[]
        {
            (null, "input normalisation: checkpoint mean [0.25], std [0.5], now none"),
            (new InputNormalization([0.25f], [0.5000001f]), "now mean [0.25], std [0.5000001]"),
        };
        foreach (var (other, expected) in cases)
        {
            using var network = NewNetwork(7, normalization: other);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => new DecouplingTrainer(Settings(path, epochs: 1)).Train(network, _data.Pixels, _data.Labels));
            StringAssert.Contains(error.Message, expected);
            Assert.AreEqual(1, error.Message.Split(", now ").Length - 1, $"only the normalisation is named: {error.Message}");
        }

        // The same normalisation (another instance) is the same run: the finished checkpoint is taken as it is.
        using (var network = NewNetwork(8, normalization: new InputNormalization([0.25f], [0.5f])))
        {
            var again = new DecouplingTrainer(Settings(path, epochs: 1)).Train(network, _data.Pixels, _data.Labels);
            CollectionAssert.AreEqual(history.ToArray(), again.ToArray());
        }

        // And a checkpoint without normalisation refuses a network that has one.
        string plain = Path.Combine(_folder, "plain.ckpt");
        using (var network = NewNetwork(7))
        {
            new DecouplingTrainer(Settings(plain, epochs: 1)).Train(network, _data.Pixels, _data.Labels);
        }

        using (var network = NewNetwork(7, normalization: normalization))
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => new DecouplingTrainer(Settings(plain, epochs: 1)).Train(network, _data.Pixels, _data.Labels));
            StringAssert.Contains(error.Message, "input normalisation: checkpoint none, now mean [0.25], std [0.5]");
        }
    }

    [TestMethod]
    public void HeaderWithNonFiniteHistory_RoundTrips()
    {
        string path = Path.Combine(_folder, "nan.ckpt");
        var report = new EpochReport(1, 2, 0.1, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0, double.NaN, 0.5, 1, 2.5);
        using var network = NewNetwork(7, normalization: new InputNormalization([0.25f], [0.5f]));
        using var optimizer = TorchSharp.torch.optim.SGD(network.parameters(), 0.1);
        var settings = Settings(path) with { GradientClipNorm = 2.5 };
        var header = new CheckpointHeader(
            network.Architecture, network.Input, network.Classes, network.IsGated, 1, settings.Epochs, settings.BatchSize, settings.LearningRate,
            settings.Momentum, settings.WeightDecay, settings.Weights, settings.Seed, settings.Augmentation, settings.GradientClipNorm,
            _data.Count, TrainingCheckpoint.HashData(_data.Pixels, _data.Labels), network.Normalization, [report]);
        TrainingCheckpoint.Save(path, network, optimizer, header);

        var read = TrainingCheckpoint.ReadHeader(path).Header;
        Assert.AreEqual(report, read.History.Single(), "NaN and infinities come back as they were");
        Assert.IsTrue(double.IsNaN(read.History[0].CrossEntropy) && double.IsPositiveInfinity(read.History[0].MutualInformation));
        Assert.AreEqual(2.5, read.GradientClipNorm);
        Assert.AreEqual(header.DataHash, read.DataHash);
        StringAssert.StartsWith(read.DataHash, "sha256:");
        CollectionAssert.AreEqual(new[] { 0.25f }, read.Normalization!.Mean.ToArray());
        CollectionAssert.AreEqual(new[] { 0.5f }, read.Normalization.StandardDeviation.ToArray());
        TrainingCheckpoint.RequireSameRun(path, read, settings, _data.Count, header.DataHash!, network.Normalization);
    }

    [TestMethod]
    public void FormatVersion1Checkpoint_LoadsAsWeightsButIsNotResumed()
    {
        string current = Path.Combine(_folder, "current.ckpt");
        StateDictSnapshot trained;
        using (var network = NewNetwork(7))
        {
            new DecouplingTrainer(Settings(current, epochs: 1)).Train(network, _data.Pixels, _data.Labels);
            trained = StateDictSnapshot.Of(network);
        }

        // Rewrite it as version 1 wrote it: the same tensors (without version 3's checksum after them) after a header
        // without the fields version 2 added.
        string old = Path.Combine(_folder, "old.ckpt");
        using (var reader = new BinaryReader(File.OpenRead(current), Encoding.UTF8))
        using (var writer = new BinaryWriter(File.Create(old), Encoding.UTF8))
        {
            writer.Write(reader.ReadBytes(8));
            Assert.AreEqual(3, reader.ReadInt32());
            writer.Write(1);
            var header = JsonNode.Parse(reader.ReadString())!.AsObject();
            header.Remove("GradientClipNorm");
            header.Remove("DataHash");
            header.Remove("Normalization");
            writer.Write(header.ToJsonString());
            writer.Write(reader.ReadBytes((int)(reader.BaseStream.Length - reader.BaseStream.Position - 32)));
        }

        Assert.AreEqual(1, TrainingCheckpoint.ReadHeader(old).Header.CompletedEpochs);
        using (var network = NewNetwork(8))
        {
            TrainingCheckpoint.LoadNetwork(old, network);
            StateDictSnapshot.AssertIdentical(trained, StateDictSnapshot.Of(network), "weights of a version 1 checkpoint");
            var error = Assert.ThrowsExactly<InvalidDataException>(() => new DecouplingTrainer(Settings(old, epochs: 1)).Train(network, _data.Pixels, _data.Labels));
            StringAssert.Contains(error.Message, "training data: checkpoint not recorded (format version 1)");
        }
    }

    [TestMethod]
    public void CorruptOrTruncatedCheckpoint_IsInvalidData()
    {
        string good = Path.Combine(_folder, "good.ckpt");
        using (var network = NewNetwork(7))
        {
            new DecouplingTrainer(Settings(good, epochs: 1)).Train(network, _data.Pixels, _data.Labels);
        }

        byte[] bytes = File.ReadAllBytes(good);
        long headerEnd;
        using (var reader = new BinaryReader(File.OpenRead(good), Encoding.UTF8))
        {
            reader.ReadBytes(8);
            reader.ReadInt32();
            reader.ReadString();
            headerEnd = reader.BaseStream.Position;
        }

        // Damage in the header, in the network's tensors, or in the optimizer state (which only resuming reads).
        var corrupt = new List<(string Name, byte[] Content, Part Damaged)>
        {
            ("empty", [], Part.Header),
            ("in-magic", bytes[..4], Part.Header),
            ("after-version", bytes[..12], Part.Header),
            ("in-header", bytes[..(int)(headerEnd - 20)], Part.Header),
            ("in-network", bytes[..(int)(headerEnd + 100)], Part.Network),
            ("in-optimizer", bytes[..^16], Part.Optimizer),
            ("not-a-checkpoint", Encoding.ASCII.GetBytes("PK\u0003\u0004 this is something else entirely"), Part.Header),
        };
        byte[] badJson = (byte[])bytes.Clone();
        badJson[(int)headerEnd - 2] = (byte)'#';
        corrupt.Add(("bad-json", badJson, Part.Header));
        byte[] wrongVersion = (byte[])bytes.Clone();
        wrongVersion[8] = 99;
        corrupt.Add(("wrong-version", wrongVersion, Part.Header));
        // One changed byte anywhere in the tensors fails the checksum before anything is read (the optimizer's bytes once
        // crashed the process: TorchSharp makes a tensor of whatever type and shape they say).
        corrupt.Add(("flipped-in-network", Flipped(bytes, (int)headerEnd + 200), Part.Network));
        corrupt.Add(("flipped-in-optimizer", Flipped(bytes, bytes.Length - 32 - 40), Part.Network));
        corrupt.Add(("flipped-checksum", Flipped(bytes, bytes.Length - 1), Part.Network));
        byte[] badLength = (byte[])bytes.Clone();
        badLength.AsSpan(12, 5).Fill(0xFF); // the header text's 7-bit encoded length
        corrupt.Add(("bad-header-length", badLength, Part.Header));
        byte[] noHistory = (byte[])bytes.Clone();
        int history = bytes.AsSpan(0, (int)headerEnd).IndexOf(Encoding.UTF8.GetBytes("\"History\""));
        noHistory[history + 7] = (byte)'a'; // "Histora": the member is missing
        corrupt.Add(("header-without-history", noHistory, Part.Header));

        foreach (var (name, content, damaged) in corrupt)
        {
            string path = Path.Combine(_folder, $"{name}.ckpt");
            File.WriteAllBytes(path, content);
            if (damaged == Part.Header)
            {
                var headerError = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.ReadHeader(path), name);
                StringAssert.Contains(headerError.Message, path, name);
            }

            using var network = NewNetwork(7);
            var before = StateDictSnapshot.Of(network);
            if (damaged != Part.Optimizer)
            {
                var loadError = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadNetwork(path, network), name);
                StringAssert.Contains(loadError.Message, path, name);
                StateDictSnapshot.AssertIdentical(before, StateDictSnapshot.Of(network), $"{name}: nothing is loaded from a refused checkpoint");
            }

            var trainError = Assert.ThrowsExactly<InvalidDataException>(
                () => new DecouplingTrainer(Settings(path, epochs: 1)).Train(network, _data.Pixels, _data.Labels), name);
            StringAssert.Contains(trainError.Message, path, name);
            CollectionAssert.AreEqual(content, File.ReadAllBytes(path), $"{name}: the file is left as it was");
        }
    }

    private static byte[] Flipped(byte[] bytes, int index)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[index] ^= 0x5A;
        return copy;
    }

    private enum Part
    {
        Header,
        Network,
        Optimizer,
    }

    [TestMethod]
    public void CheckpointOfAnotherNetwork_IsInvalidData()
    {
        string path = Path.Combine(_folder, "dense.ckpt");
        using (var dense = NewNetwork(7, gated: false))
        {
            new DecouplingTrainer(Settings(path, epochs: 1)).Train(dense, _data.Pixels, _data.Labels);
        }

        using (var gated = NewNetwork(7))
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => new DecouplingTrainer(Settings(path, epochs: 1)).Train(gated, _data.Pixels, _data.Labels));
            StringAssert.Contains(error.Message, "holds a dense vgg:8,16,M,16,32");
            StringAssert.Contains(error.Message, "the network is a gated vgg:8,16,M,16,32");
        }

        using (var other = NewNetwork(7, layout: "8,16,M,16,16", gated: false))
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadNetwork(path, other));
            StringAssert.Contains(error.Message, "vgg:8,16,M,16,32");
            StringAssert.Contains(error.Message, "vgg:8,16,M,16,16");
            error = Assert.ThrowsExactly<InvalidDataException>(() => new DecouplingTrainer(Settings(path, epochs: 1)).Train(other, _data.Pixels, _data.Labels));
            StringAssert.Contains(error.Message, "vgg:8,16,M,16,16");
        }

        using (var resnet = NetworkArchitecture.CifarResNet(20).Build(_shape, _data.ClassNames.Count, gated: false, seed: 7))
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadNetwork(path, resnet));
            StringAssert.Contains(error.Message, "resnet20");
        }

        using (var moreClasses = NetworkArchitecture.Vgg(SmallLayout).Build(_shape, 10, gated: false, seed: 7))
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadNetwork(path, moreClasses));
            StringAssert.Contains(error.Message, "10 classes");
        }

        // Same architecture name, other tensors: a VGG with conv biases (torchvision style) has the same name.
        using (var biased = NetworkArchitecture.Vgg(SmallLayout, convolutionBias: true).Build(_shape, _data.ClassNames.Count, gated: false, seed: 7))
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.LoadNetwork(path, biased));
            StringAssert.Contains(error.Message, path);
        }

        CollectionAssert.AreEqual(new[] { "dense.ckpt" }, FilesInFolder());
    }

    [TestMethod]
    public void CancelledBeforeTheFirstBatch_ThrowsAndWritesNoCheckpoint()
    {
        string path = Path.Combine(_folder, "run.ckpt");
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var epochs = new List<EpochReport>();
        using var network = NewNetwork(7);
        var before = StateDictSnapshot.Of(network);
        Assert.ThrowsExactly<OperationCanceledException>(
            () => new DecouplingTrainer(Settings(path), epochs.Add).Train(network, _data.Pixels, _data.Labels, cancellation.Token));
        Assert.IsEmpty(epochs);
        Assert.IsFalse(File.Exists(path));
        Assert.IsEmpty(FilesInFolder(), "no checkpoint and no temporary file");
        StateDictSnapshot.AssertIdentical(before, StateDictSnapshot.Of(network), "no batch ran");

        // The same when resuming: an existing checkpoint is kept as it was.
        var stopAfterOne = new DecouplingTrainer(Settings(path), r => throw new OperationCanceledException($"stop after epoch {r.Epoch}"));
        Assert.ThrowsExactly<OperationCanceledException>(() => stopAfterOne.Train(network, _data.Pixels, _data.Labels));
        Assert.AreEqual(1, TrainingCheckpoint.ReadHeader(path).Header.CompletedEpochs);
        byte[] saved = File.ReadAllBytes(path);
        using var fresh = NewNetwork(7);
        Assert.ThrowsExactly<OperationCanceledException>(
            () => new DecouplingTrainer(Settings(path)).Train(fresh, _data.Pixels, _data.Labels, cancellation.Token));
        CollectionAssert.AreEqual(saved, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "run.ckpt" }, FilesInFolder());
    }
}
