using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Pretrained.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Weights as downloaded: PyTorch's legacy (pre-1.6) container, checkpoints that wrap the state dictionary, DataParallel
/// prefixes and the authors' gated naming. Fixtures: TestData/pretrained/make_legacy_fixtures.py (PyTorch 1.13, by hand).
/// </summary>
[TestClass]
public sealed class LegacyPickleTests
{
    private static readonly string Files = Path.Combine(AppContext.BaseDirectory, "TestData", "pretrained");
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"decoupling-legacy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    [DataRow("legacy_small_cnn.pth")]
    [DataRow("legacy_checkpoint.pth")]
    [DataRow("zip_checkpoint.pt")]
    public void LegacyFilesAndCheckpoints_GiveTheSameTensorsAsTheZipStateDict(string fileName)
    {
        using var scope = NewDisposeScope();
        var expected = StateDictFile.Read(Path.Combine(Files, "pytorch_small_cnn.pt"));
        var read = StateDictFile.Read(Path.Combine(Files, fileName));

        // The checkpoints keep "module."-prefixed keys under "state_dict" beside an epoch, a numpy float, an argparse
        // namespace and optimizer tensors: only the state dictionary comes back, without the prefix.
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), read.Keys.ToList());
        foreach (var (key, tensor) in expected)
        {
            TensorAssert.AreIdentical(tensor, read[key], $"{fileName}: {key}");
        }
    }

    [TestMethod]
    public void LegacyViews_ReadStridedAndOffsetWindowsOfASharedStorage()
    {
        using var scope = NewDisposeScope();
        var read = StateDictFile.Read(Path.Combine(Files, "legacy_views.pth"));
        var matrix = arange(24, dtype: float32).reshape(4, 6);

        TensorAssert.AreIdentical(matrix[1], read["row"], "row");
        TensorAssert.AreIdentical(matrix.t(), read["transposed"], "transposed");
        TensorAssert.AreIdentical(matrix[.., 2..5], read["columns"], "columns");
        TensorAssert.AreIdentical(tensor(new[] { 1.5f, -2.25f, 3.0f }).to_type(ScalarType.BFloat16), read["half"], "half");
        TensorAssert.AreIdentical(tensor(new[] { 7, -8, 9, 10 }).reshape(2, 2), read["ints"], "ints");
        TensorAssert.AreIdentical(tensor(new[] { true, false, true }), read["flags"], "flags");
        Assert.AreEqual(0, read["scalar"].dim());
        Assert.AreEqual(42L, read["scalar"].item<long>());
    }

    [TestMethod]
    public void PickledModule_IsRefusedWithAHint()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => StateDictFile.Read(Path.Combine(Files, "legacy_module.pth")));
        StringAssert.Contains(error.Message, "legacy_module.pth");
        StringAssert.Contains(error.Message, "pickled modules");
    }

    [TestMethod]
    public void TruncatedLegacyFile_IsInvalidDataBeforeReadingPastTheEnd()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Files, "legacy_small_cnn.pth"));
        string path = Path.Combine(_folder, "cut.pth");
        File.WriteAllBytes(path, bytes[..^50]);

        var error = Assert.ThrowsExactly<InvalidDataException>(() => StateDictFile.Read(path));
        StringAssert.Contains(error.Message, "cut.pth");
        StringAssert.Contains(error.Message, "remain");
    }

    [TestMethod]
    public void PickleDeclaringAHugeString_FailsBeforeAllocatingIt()
    {
        // PROTO 2, BINUNICODE of 2^31-1 bytes, then nothing.
        using var stream = new MemoryStream([0x80, 0x02, (byte)'X', 0xff, 0xff, 0xff, 0x7f]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => PickleMachine.Load(stream));
        StringAssert.Contains(error.Message, "2147483647");
    }

    [TestMethod]
    public void AuthorsGatedCheckpoint_LoadsGatesAndClassifiersAndReportsTheLastConvGateAsUnmapped()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(Files, "authors_gated_resnet8.pth");
        using var network = NetworkArchitecture.Parse("resnet8").Build(new ImageShape(3, 32, 32), classes: 10, seed: 1);

        var report = PretrainedWeights.FromFile(path, StateDictNaming.DecouplingRelease).ApplyWithReport(network);

        string[] lastConvGate =
        [
            "layer3.0.ad_block2.fc1.bias", "layer3.0.ad_block2.fc1.weight", "layer3.0.ad_block2.fc2.bias",
            "layer3.0.ad_block2.fc2.weight", "layer3.0.ad_block2.fc_class.weight",
        ];
        CollectionAssert.AreEquivalent(lastConvGate, report.UnmappedSourceKeys.ToArray());
        Assert.IsEmpty(report.KeptInitialKeys, "every gate and path classifier of ours comes from the file");
        var source = StateDictFile.Read(path);
        var target = network.state_dict();
        Assert.AreEqual(source.Count - lastConvGate.Length, report.LoadedCount);
        TensorAssert.AreIdentical(source["layer2.0.ad_block1.fc1.weight"], target["gates.layer2_0_conv1.squeeze.weight"], "fc1");
        TensorAssert.AreIdentical(source["layer2.0.ad_block2.fc2.bias"], target["gates.layer2_0_conv2.excite.bias"], "fc2");
        TensorAssert.AreIdentical(source["layer3.0.ad_block1.fc_class.weight"], target["path_classifiers.layer3_0_conv1.weight"], "fc_class");
        TensorAssert.AreIdentical(source["layer1.0.conv2.weight"], target["layer1.0.conv2.weight"], "conv");
    }

    [TestMethod]
    public void AuthorsGatedCheckpoint_IntoAnotherDepth_StillFailsWithTheMismatches()
    {
        using var network = NetworkArchitecture.Parse("resnet14").Build(new ImageShape(3, 32, 32), classes: 10, seed: 1);
        var error = Assert.ThrowsExactly<PretrainedWeightsMismatchException>(
            () => PretrainedWeights.FromFile(Path.Combine(Files, "authors_gated_resnet8.pth"), StateDictNaming.DecouplingRelease).ApplyTo(network));
        Assert.IsTrue(error.MissingTargetKeys.Contains("layer1.1.conv1.weight"), error.Message);
    }

    [TestMethod]
    [DoNotParallelize]
    public void ReadingLegacyFiles_LeaksNoTensors()
    {
        DisposeScopeManager.Statistics.Reset();
        using (var scope = NewDisposeScope())
        {
            StateDictFile.Read(Path.Combine(Files, "legacy_checkpoint.pth"));
            StateDictFile.Read(Path.Combine(Files, "legacy_views.pth"));
        }

        string cut = Path.Combine(_folder, "cut.pth");
        File.WriteAllBytes(cut, File.ReadAllBytes(Path.Combine(Files, "legacy_views.pth"))[..^4]);
        Assert.ThrowsExactly<InvalidDataException>(() => StateDictFile.Read(cut));
        Assert.AreEqual(0L, DisposeScopeManager.Statistics.ThreadTotalLiveCount, DisposeScopeManager.Statistics.ToString());
    }
}
