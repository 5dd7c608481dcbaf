using Microsoft.ML.Decoupling.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class PretrainedStateDictFileTests
{
    private static readonly string PyTorchFiles = Path.Combine(AppContext.BaseDirectory, "TestData", "pretrained");
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"decoupling-statedict-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    [DataRow("weights.pt")]
    [DataRow("weights.pth")]
    [DataRow("weights.bin")]
    [DataRow("weights.safetensors")]
    public void WriteThenRead_GivesBackEveryParameterAndBufferExactly(string fileName)
    {
        using var scope = NewDisposeScope();
        using var net = new SmallConvNet(seed: 1).WithTrainedStatistics();
        string path = Path.Combine(_folder, fileName);

        StateDictFile.Write(path, net);
        var read = StateDictFile.Read(path);

        var expected = net.state_dict();
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), read.Keys.ToList());
        foreach (var (key, tensor) in expected)
        {
            TensorAssert.AreIdentical(tensor, read[key], key);
            Assert.IsFalse(read[key].requires_grad, key);
        }

        Assert.AreEqual(ScalarType.Int64, read["bn.num_batches_tracked"].dtype);
        Assert.AreEqual(0, read["bn.num_batches_tracked"].dim());
        Assert.AreEqual(3L, read["bn.num_batches_tracked"].item<long>());
        CollectionAssert.AreEqual(new[] { Path.GetFileName(path) }, Directory.GetFiles(_folder).Select(Path.GetFileName).ToArray(),
            "An atomic write leaves only the file itself, no temporary file.");
    }

    [TestMethod]
    public void Write_HandlesViewsAndNonContiguousTensors()
    {
        using var scope = NewDisposeScope();
        var matrix = arange(12, dtype: float32).reshape(3, 4);
        var source = new Dictionary<string, Tensor>
        {
            ["transposed"] = matrix.t(),   // non-contiguous
            ["row"] = matrix[1],           // contiguous, storage offset 4
        };

        foreach (string name in new[] { "views.pt", "views.safetensors" })
        {
            string path = Path.Combine(_folder, name);
            StateDictFile.Write(path, source);
            var read = StateDictFile.Read(path);
            TensorAssert.AreIdentical(matrix.t(), read["transposed"], name);
            TensorAssert.AreIdentical(matrix[1], read["row"], name);
        }
    }

    [TestMethod]
    [DataRow("pytorch_small_cnn.pt")]
    [DataRow("pytorch_small_cnn.safetensors")]
    public void Read_FilesWrittenByPyTorch(string fileName)
    {
        using var scope = NewDisposeScope();
        var read = StateDictFile.Read(Path.Combine(PyTorchFiles, fileName));

        string[] expectedKeys =
        [
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
            "4.weight", "4.bias", "probe.input", "probe.output",
        ];
        CollectionAssert.AreEquivalent(expectedKeys, read.Keys.ToArray());
        CollectionAssert.AreEqual(new long[] { 4, 3, 3, 3 }, read["0.weight"].shape);
        Assert.AreEqual(ScalarType.Int64, read["1.num_batches_tracked"].dtype);
        Assert.AreEqual(3L, read["1.num_batches_tracked"].item<long>());
        Assert.AreNotEqual(0f, read["1.running_mean"].abs().sum().item<float>(), "running statistics were trained");
    }

    [TestMethod]
    public void Read_PickleAndSafetensorsOfTheSameStateAgree()
    {
        using var scope = NewDisposeScope();
        var pickle = StateDictFile.Read(Path.Combine(PyTorchFiles, "pytorch_small_cnn.pt"));
        var safetensors = StateDictFile.Read(Path.Combine(PyTorchFiles, "pytorch_small_cnn.safetensors"));
        foreach (var (key, tensor) in pickle)
        {
            TensorAssert.AreIdentical(tensor, safetensors[key], key);
        }
    }

    [TestMethod]
    [DataRow("weights.onnx")]
    [DataRow("weights")]
    [DataRow("weights.ckpt")]
    public void UnknownExtension_IsRejectedWithTheAcceptedOnes(string fileName)
    {
        string path = Path.Combine(_folder, fileName);
        File.WriteAllBytes(path, [1, 2, 3]);
        var read = Assert.ThrowsExactly<ArgumentException>(() => StateDictFile.Read(path));
        StringAssert.Contains(read.Message, ".pt, .pth, .bin, .safetensors");
        StringAssert.Contains(read.Message, fileName);

        using var tensors = new DisposableTensors();
        var write = Assert.ThrowsExactly<ArgumentException>(() => StateDictFile.Write(path, tensors.One));
        StringAssert.Contains(write.Message, ".pt, .pth, .bin, .safetensors");
    }

    [TestMethod]
    [DataRow("absent.pt")]
    [DataRow("absent.safetensors")]
    public void MissingFile_NamesThePath(string fileName)
    {
        string path = Path.Combine(_folder, fileName);
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => StateDictFile.Read(path));
        Assert.AreEqual(path, error.FileName);
        StringAssert.Contains(error.Message, path);
    }

    [TestMethod]
    [DataRow("garbage.pt")]
    [DataRow("garbage.safetensors")]
    [DataRow("truncated.pt")]
    [DataRow("truncated.safetensors")]
    public void UnreadableFile_IsInvalidDataNamingTheFile(string fileName)
    {
        string path = Path.Combine(_folder, fileName);
        if (fileName.StartsWith("garbage", StringComparison.Ordinal))
        {
            File.WriteAllBytes(path, Enumerable.Range(0, 100).Select(i => (byte)(i * 37)).ToArray());
        }
        else
        {
            using var net = new SmallConvNet(seed: 2);
            StateDictFile.Write(path, net);
            byte[] bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        }

        using var scope = NewDisposeScope();
        var error = Assert.ThrowsExactly<InvalidDataException>(() => StateDictFile.Read(path));
        StringAssert.Contains(error.Message, fileName);
        Assert.IsNotNull(error.InnerException);
    }

    [TestMethod]
    public void Read_AModuleInsteadOfAStateDict_IsInvalidData()
    {
        // A pickle whose entry is not a tensor (here: a nested dict, as in a training checkpoint).
        string path = Path.Combine(_folder, "checkpoint.pt");
        using (var stream = File.Create(path))
        {
            var checkpoint = new System.Collections.Hashtable { ["epoch"] = 3 };
            TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, checkpoint);
        }

        var error = Assert.ThrowsExactly<InvalidDataException>(() => StateDictFile.Read(path));
        StringAssert.Contains(error.Message, "checkpoint.pt");
        StringAssert.Contains(error.Message, "'epoch'");
    }

    [TestMethod]
    [DataRow("failed.pt")]
    [DataRow("failed.safetensors")]
    public void FailedWrite_LeavesNoFileAndKeepsAnExistingOne(string fileName)
    {
        string path = Path.Combine(_folder, fileName);
        var disposed = zeros(3);
        disposed.Dispose();
        using var good = ones(2);
        var broken = new Dictionary<string, Tensor> { ["good"] = good, ["disposed"] = disposed };

        Assert.ThrowsExactly<InvalidOperationException>(() => StateDictFile.Write(path, broken)); // TorchSharp: "empty handle"
        Assert.IsEmpty(Directory.GetFiles(_folder), "no file and no temporary file after a failed first write");

        File.WriteAllBytes(path, [42]);
        Assert.ThrowsExactly<InvalidOperationException>(() => StateDictFile.Write(path, broken)); // TorchSharp: "empty handle"
        CollectionAssert.AreEqual(new byte[] { 42 }, File.ReadAllBytes(path), "a failed write must not touch the existing file");
        Assert.HasCount(1, Directory.GetFiles(_folder));
    }

    [TestMethod]
    public void UnsupportedDtype_IsAnArgumentErrorNamingTheKey()
    {
        using var complexTensor = zeros(2, dtype: ScalarType.ComplexFloat32);
        var source = new Dictionary<string, Tensor> { ["spectrum"] = complexTensor };
        var error = Assert.ThrowsExactly<ArgumentException>(() => StateDictFile.Write(Path.Combine(_folder, "c.safetensors"), source));
        StringAssert.Contains(error.Message, "spectrum");
        Assert.IsEmpty(Directory.GetFiles(_folder));
    }

    [TestMethod]
    [DoNotParallelize]
    public void ReadAndWrite_LeakNoTensors()
    {
        using var net = new SmallConvNet(seed: 4).WithTrainedStatistics();
        string pt = Path.Combine(_folder, "leak.pt");
        string safetensors = Path.Combine(_folder, "leak.safetensors");
        string truncated = Path.Combine(_folder, "truncated.safetensors");
        StateDictFile.Write(truncated, net);
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..^100]);
        DisposeScopeManager.Statistics.Reset();

        StateDictFile.Write(pt, net);
        StateDictFile.Write(safetensors, net);
        using (var scope = NewDisposeScope())
        {
            StateDictFile.Read(pt);
            StateDictFile.Read(safetensors);
        }

        Assert.ThrowsExactly<InvalidDataException>(() => StateDictFile.Read(truncated)); // what a failed read made is freed

        Assert.AreEqual(0L, DisposeScopeManager.Statistics.ThreadTotalLiveCount, DisposeScopeManager.Statistics.ToString());
    }

    [TestMethod]
    public void FromFile_OfAFolderOrAFileOfAnotherFormat_FailsWhenNamed_SayingWhatWasExpected()
    {
        var folder = Assert.ThrowsExactly<ArgumentException>(() => PretrainedWeights.FromFile(_folder));
        Assert.AreEqual("path", folder.ParamName);
        StringAssert.Contains(folder.Message, $"'{_folder}' is a directory");

        string text = Path.Combine(_folder, "weights.txt");
        File.WriteAllText(text, "not weights");
        var extension = Assert.ThrowsExactly<ArgumentException>(() => PretrainedWeights.FromFile(text));
        StringAssert.Contains(extension.Message, "'.txt'");

        string pickle = Path.Combine(_folder, "weights.pt");
        File.WriteAllText(pickle, "not weights either");
        var notPickle = Assert.ThrowsExactly<InvalidDataException>(() => PretrainedWeights.FromFile(pickle));
        StringAssert.Contains(notPickle.Message, pickle);
        StringAssert.Contains(notPickle.Message, "expected a zip archive");

        string safetensors = Path.Combine(_folder, "weights.safetensors");
        File.WriteAllText(safetensors, "{\"not\": \"safetensors\"}");
        var notSafetensors = Assert.ThrowsExactly<InvalidDataException>(() => PretrainedWeights.FromFile(safetensors));
        StringAssert.Contains(notSafetensors.Message, safetensors);
        StringAssert.Contains(notSafetensors.Message, "JSON object");

        string checkpoint = Path.Combine(_folder, "weights.ckpt");
        File.WriteAllText(checkpoint, "no checkpoint");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => PretrainedWeights.FromFile(checkpoint)).Message, checkpoint);
        Assert.AreEqual("not weights either", File.ReadAllText(pickle), "nothing is written");

        using var scope = NewDisposeScope();
        using var net = new SmallConvNet(seed: 1);
        foreach (string name in new[] { "good.pt", "good.safetensors" })
        {
            StateDictFile.Write(Path.Combine(_folder, name), net);
            Assert.AreEqual(Path.Combine(_folder, name) + " (Native)", PretrainedWeights.FromFile(Path.Combine(_folder, name)).Description, "real files pass the check");
        }
    }

    [TestMethod]
    public void Write_IntoAMissingFolder_NamesThePathAndTheFolder_NotTheTemporaryFile()
    {
        using var scope = NewDisposeScope();
        using var net = new SmallConvNet(seed: 1);
        string missing = Path.Combine(_folder, "missing");
        string path = Path.Combine(missing, "weights.pt");
        var error = Assert.ThrowsExactly<DirectoryNotFoundException>(() => StateDictFile.Write(path, net));
        StringAssert.Contains(error.Message, $"'{path}'");
        StringAssert.Contains(error.Message, $"folder '{missing}' does not exist");
        Assert.IsFalse(error.Message.Contains(".tmp", StringComparison.Ordinal), error.Message);
        Assert.IsFalse(Directory.Exists(missing), "no folder is created");

        string folderNamedLikeAFile = Directory.CreateDirectory(Path.Combine(_folder, "folder.pt")).FullName;
        StringAssert.Contains(Assert.ThrowsExactly<IOException>(() => StateDictFile.Write(folderNamedLikeAFile, net)).Message, "it is a folder");
    }

    private sealed class DisposableTensors : IDisposable
    {
        public Dictionary<string, Tensor> One { get; } = new() { ["w"] = zeros(1) };

        public void Dispose() => One["w"].Dispose();
    }
}
