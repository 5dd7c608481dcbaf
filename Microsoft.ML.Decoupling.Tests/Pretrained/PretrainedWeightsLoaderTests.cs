using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Seeding;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class PretrainedWeightsLoaderTests
{
    private static readonly string PyTorchFiles = Path.Combine(AppContext.BaseDirectory, "TestData", "pretrained");
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"decoupling-pretrained-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    [DataRow("dense.pt")]
    [DataRow("dense.safetensors")]
    public void WrittenThenLoaded_GivesIdenticalBuffersAndEvalOutputs(string fileName)
    {
        using var scope = NewDisposeScope();
        using var trained = new SmallConvNet(seed: 1).WithTrainedStatistics();
        string path = Path.Combine(_folder, fileName);
        StateDictFile.Write(path, trained);
        using var fresh = new SmallConvNet(seed: 2);

        var report = new PretrainedWeightsLoader().Load(fresh, path);

        Assert.AreEqual(9, report.LoadedCount);
        Assert.AreEqual(0, report.KeptInitialCount);
        Assert.AreEqual(0, report.IgnoredSourceCount);
        Assert.IsEmpty(report.ConvertedKeys);
        foreach (var (key, tensor) in trained.state_dict())
        {
            TensorAssert.AreIdentical(tensor, fresh.state_dict()[key], key);
        }

        trained.eval();
        fresh.eval();
        using var draws = SeededGenerator.Create(9);
        var input = randn([4, 3, SmallConvNet.Side, SmallConvNet.Side], generator: draws);
        using (no_grad())
        {
            TensorAssert.AreIdentical(trained.forward(input), fresh.forward(input), "eval output");
        }

        Assert.IsTrue(fresh.parameters().All(p => p.requires_grad), "loading must not change requires_grad");
    }

    [TestMethod]
    [DataRow("pytorch_small_cnn.pt")]
    [DataRow("pytorch_small_cnn.safetensors")]
    public void PyTorchWeights_WithANameMap_ReproducePyTorchOutputs(string fileName)
    {
        using var scope = NewDisposeScope();
        using var net = new SmallConvNet(seed: 5);
        var pyTorchToOurs = new Dictionary<string, string> { ["0"] = "conv", ["1"] = "bn", ["4"] = "fc" };
        var loader = new PretrainedWeightsLoader
        {
            MapSourceKey = key => pyTorchToOurs[key[..key.IndexOf('.')]] + key[key.IndexOf('.')..],
            IgnoredSourcePrefixes = ["probe."],
        };
        var source = StateDictFile.Read(Path.Combine(PyTorchFiles, fileName));

        var report = loader.Load(net, source, fileName);

        Assert.AreEqual(9, report.LoadedCount);
        CollectionAssert.AreEqual(new[] { "probe.input", "probe.output" }, report.IgnoredSourceKeys.ToArray());
        Assert.AreEqual(3L, net.state_dict()["bn.num_batches_tracked"].item<long>());
        net.eval();
        using (no_grad())
        {
            var output = net.forward(source["probe.input"]);
            // Another libtorch (1.13 there, 2.10 here) may round convolutions differently in the last bit.
            Assert.IsTrue(output.allclose(source["probe.output"], rtol: 1e-5, atol: 1e-6), output.sub(source["probe.output"]).abs().max().str());
        }
    }

    [TestMethod]
    public void RenamedKey_IsListedAsUnmatchedSourceAndMissingTarget()
    {
        using var scope = NewDisposeScope();
        var source = StateOf(new SmallConvNet(seed: 1).WithTrainedStatistics());
        source["head.weight"] = source["fc.weight"];
        source.Remove("fc.weight");
        using var target = new SmallConvNet(seed: 2);

        var error = LoadExpectingMismatch(target, source);

        CollectionAssert.AreEqual(new[] { "head.weight" }, error.UnmatchedSourceKeys.ToArray());
        CollectionAssert.AreEqual(new[] { "fc.weight" }, error.MissingTargetKeys.ToArray());
        Assert.IsEmpty(error.IncompatibleEntries);
    }

    [TestMethod]
    public void WrongShape_IsListedWithBothShapes()
    {
        using var scope = NewDisposeScope();
        var source = StateOf(new SmallConvNet(seed: 1, classes: 7));
        using var target = new SmallConvNet(seed: 2, classes: 5);

        var error = LoadExpectingMismatch(target, source);

        Assert.IsEmpty(error.UnmatchedSourceKeys);
        Assert.IsEmpty(error.MissingTargetKeys);
        var byKey = error.IncompatibleEntries.ToDictionary(m => m.TargetKey);
        CollectionAssert.AreEquivalent(new[] { "fc.weight", "fc.bias" }, byKey.Keys.ToArray());
        CollectionAssert.AreEqual(new long[] { 7, 144 }, byKey["fc.weight"].SourceShape.ToArray());
        CollectionAssert.AreEqual(new long[] { 5, 144 }, byKey["fc.weight"].TargetShape.ToArray());
        StringAssert.Contains(error.Message, "fc.weight: source [7, 144] Float32, target [5, 144] Float32 (shape differs)");
    }

    [TestMethod]
    public void MissingRequiredKey_IsListed()
    {
        using var scope = NewDisposeScope();
        var source = StateOf(new SmallConvNet(seed: 1));
        source.Remove("bn.running_var");
        using var target = new SmallConvNet(seed: 2);

        var error = LoadExpectingMismatch(target, source);

        Assert.IsEmpty(error.UnmatchedSourceKeys);
        CollectionAssert.AreEqual(new[] { "bn.running_var" }, error.MissingTargetKeys.ToArray());
        Assert.IsEmpty(error.IncompatibleEntries);
    }

    [TestMethod]
    public void EveryKindOfMismatch_IsListedAtOnce_AndNothingIsCopied()
    {
        using var scope = NewDisposeScope();
        var source = StateOf(new SmallConvNet(seed: 1).WithTrainedStatistics());
        source["classifier.weight"] = source["fc.weight"];
        source.Remove("fc.weight");
        source["conv.bias"] = zeros(3);
        source.Remove("bn.num_batches_tracked");
        using var target = new SmallConvNet(seed: 2);
        var before = target.Snapshot();

        var error = LoadExpectingMismatch(target, source, "dense.pt");

        CollectionAssert.AreEqual(new[] { "classifier.weight" }, error.UnmatchedSourceKeys.ToArray());
        // TorchSharp's state_dict lists all parameters before all buffers (PyTorch goes module by module).
        CollectionAssert.AreEqual(new[] { "fc.weight", "bn.num_batches_tracked" }, error.MissingTargetKeys.ToArray());
        Assert.AreEqual("conv.bias", error.IncompatibleEntries.Single().SourceKey);
        StringAssert.StartsWith(error.Message,
            "The pretrained weights from 'dense.pt' do not match the target module (1 source key(s) without a target, "
            + "2 required target key(s) missing from the source, 1 incompatible entry); nothing was loaded.");
        foreach (var (key, tensor) in before)
        {
            TensorAssert.AreIdentical(tensor, target.state_dict()[key], $"{key} must be untouched");
        }
    }

    [TestMethod]
    public void OptionalTargetKeys_KeepTheirInitialisation()
    {
        using var scope = NewDisposeScope();
        var dense = StateOf(new SmallConvNet(seed: 1).WithTrainedStatistics());
        using var gated = new SmallConvNet(seed: 2, gated: true);
        var before = gated.Snapshot();
        var loader = new PretrainedWeightsLoader
        {
            IsOptionalTargetKey = key => key == "gate" || key.StartsWith("path_classifier.", StringComparison.Ordinal),
        };

        var report = loader.Load(gated, dense);

        Assert.AreEqual(9, report.LoadedCount);
        CollectionAssert.AreEqual(new[] { "gate", "path_classifier.weight", "path_classifier.bias" }, report.KeptInitialKeys.ToArray());
        var after = gated.state_dict();
        foreach (string key in report.KeptInitialKeys)
        {
            TensorAssert.AreIdentical(before[key], after[key], $"{key} keeps its initialisation");
        }

        foreach (var (key, tensor) in dense)
        {
            TensorAssert.AreIdentical(tensor, after[key], key);
        }

        var strict = LoadExpectingMismatch(gated, dense, loader: new PretrainedWeightsLoader());
        CollectionAssert.AreEqual(new[] { "gate", "path_classifier.weight", "path_classifier.bias" }, strict.MissingTargetKeys.ToArray());
    }

    [TestMethod]
    public void IgnoredPrefixes_AndNullMappings_DropSourceKeys()
    {
        using var scope = NewDisposeScope();
        var imageNetLike = StateOf(new SmallConvNet(seed: 1, classes: 1000).WithTrainedStatistics());
        imageNetLike["aux.weight"] = ones(2);
        using var target = new SmallConvNet(seed: 2, classes: 5);
        var headBefore = target.Snapshot();
        var loader = new PretrainedWeightsLoader
        {
            IgnoredSourcePrefixes = ["fc."],
            MapSourceKey = key => key.StartsWith("aux.", StringComparison.Ordinal) ? null : key,
            IsOptionalTargetKey = key => key.StartsWith("fc.", StringComparison.Ordinal),
        };

        var report = loader.Load(target, imageNetLike);

        Assert.AreEqual(7, report.LoadedCount);
        CollectionAssert.AreEqual(new[] { "aux.weight", "fc.bias", "fc.weight" }, report.IgnoredSourceKeys.ToArray());
        CollectionAssert.AreEqual(new[] { "fc.weight", "fc.bias" }, report.KeptInitialKeys.ToArray());
        TensorAssert.AreIdentical(headBefore["fc.weight"], target.state_dict()["fc.weight"], "the head keeps its initialisation");
        TensorAssert.AreIdentical(imageNetLike["bn.running_mean"], target.state_dict()["bn.running_mean"], "the body is loaded");
    }

    [TestMethod]
    public void TwoSourceKeysForOneTarget_AreAConflict()
    {
        using var scope = NewDisposeScope();
        var source = StateOf(new SmallConvNet(seed: 1));
        source["conv_copy.weight"] = source["conv.weight"];
        using var target = new SmallConvNet(seed: 2);
        var loader = new PretrainedWeightsLoader { MapSourceKey = key => key.Replace("conv_copy.", "conv.", StringComparison.Ordinal) };

        var error = LoadExpectingMismatch(target, source, loader: loader);

        CollectionAssert.AreEqual(new[] { "conv_copy.weight" }, error.UnmatchedSourceKeys.ToArray());
        StringAssert.Contains(error.Message, "conv_copy.weight → conv.weight (already provided by 'conv.weight')");
    }

    [TestMethod]
    public void Float64Weights_AreRoundedIntoAFloat32Module_IntegerBuffersStayExact()
    {
        using var scope = NewDisposeScope();
        var source = StateOf(new SmallConvNet(seed: 1).WithTrainedStatistics())
            .ToDictionary(p => p.Key, p => p.Value.is_floating_point() ? p.Value.to_type(ScalarType.Float64) + 1e-12 : p.Value);
        using var target = new SmallConvNet(seed: 2);

        var report = new PretrainedWeightsLoader().Load(target, source);

        Assert.AreEqual(9, report.LoadedCount);
        CollectionAssert.AreEquivalent(source.Keys.Where(k => k != "bn.num_batches_tracked").ToArray(), report.ConvertedKeys.ToArray());
        foreach (var (key, tensor) in target.state_dict())
        {
            TensorAssert.AreIdentical(source[key].to_type(tensor.dtype), tensor, key);
        }
    }

    [TestMethod]
    public void UnsafeConversions_AreMismatches()
    {
        using var scope = NewDisposeScope();
        var source = StateOf(new SmallConvNet(seed: 1));
        source["bn.num_batches_tracked"] = tensor(2.5f);               // floating into int64
        source["conv.bias"] = source["conv.bias"].to_type(ScalarType.ComplexFloat32);
        using var target = new SmallConvNet(seed: 2);

        var error = LoadExpectingMismatch(target, source);

        var reasons = error.IncompatibleEntries.ToDictionary(m => m.TargetKey, m => m.Reason);
        Assert.AreEqual("no safe conversion from Float32 to Int64", reasons["bn.num_batches_tracked"]);
        Assert.AreEqual("no safe conversion from ComplexFloat32 to Float32", reasons["conv.bias"]);
    }

    [TestMethod]
    public void ConversionPolicy()
    {
        using var scope = NewDisposeScope();
        Assert.IsNull(ElementTypeConversion.WhyNot(tensor(new[] { 1.0 / 3, double.NaN, double.NegativeInfinity }), ScalarType.Float32));
        Assert.IsNull(ElementTypeConversion.WhyNot(tensor(new[] { 1.5f }), ScalarType.Float64));
        Assert.AreEqual("values overflow Float16", ElementTypeConversion.WhyNot(tensor(new[] { 1f, 1e6f }), ScalarType.Float16));
        Assert.IsNull(ElementTypeConversion.WhyNot(tensor(3L), ScalarType.Float32));
        Assert.IsNull(ElementTypeConversion.WhyNot(tensor(3L), ScalarType.Int32));
        Assert.AreEqual("values are not exactly representable as Float32", ElementTypeConversion.WhyNot(tensor((1L << 24) + 1), ScalarType.Float32));
        Assert.AreEqual("values are not exactly representable as Byte", ElementTypeConversion.WhyNot(tensor(new[] { -1 }), ScalarType.Byte));
        Assert.IsNull(ElementTypeConversion.WhyNot(tensor(new[] { true, false }), ScalarType.Float32));
        Assert.AreEqual("no safe conversion from Float32 to Int64", ElementTypeConversion.WhyNot(tensor(new[] { 2f }), ScalarType.Int64));
    }

    [TestMethod]
    public void LongLists_AreCappedInTheMessageButCompleteInTheProperties()
    {
        using var scope = NewDisposeScope();
        var source = StateOf(new SmallConvNet(seed: 1));
        for (int i = 0; i < 30; i++)
        {
            source[$"extra.{i:00}"] = zeros(1);
        }

        using var target = new SmallConvNet(seed: 2);

        var error = LoadExpectingMismatch(target, source);

        Assert.HasCount(30, error.UnmatchedSourceKeys);
        StringAssert.Contains(error.Message, "Source keys without a target (30):");
        StringAssert.Contains(error.Message, "extra.19");
        Assert.IsFalse(error.Message.Contains("extra.20", StringComparison.Ordinal), error.Message);
        StringAssert.Contains(error.Message, $"… and {30 - PretrainedWeightsMismatchException.MaxListedPerSection} more");
    }

    [TestMethod]
    public void FromAFile_TheMessageNamesTheFile()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(_folder, "resnet.safetensors");
        using (var threeClasses = new SmallConvNet(seed: 1, classes: 3))
        {
            StateDictFile.Write(path, threeClasses);
        }

        using var target = new SmallConvNet(seed: 2);

        var error = Assert.ThrowsExactly<PretrainedWeightsMismatchException>(() => new PretrainedWeightsLoader().Load(target, path));

        StringAssert.Contains(error.Message, "'resnet.safetensors'");
        Assert.IsInstanceOfType<InvalidOperationException>(error);
    }

    [TestMethod]
    [DoNotParallelize]
    public void LoadingFromAFile_LeaksNoTensors_EvenOnMismatch()
    {
        string good = Path.Combine(_folder, "good.pt");
        string bad = Path.Combine(_folder, "bad.safetensors");
        using (var trained = new SmallConvNet(seed: 1).WithTrainedStatistics())
        using (var threeClasses = new SmallConvNet(seed: 1, classes: 3))
        {
            StateDictFile.Write(good, trained);
            StateDictFile.Write(bad, threeClasses);
        }

        using var target = new SmallConvNet(seed: 2);
        var loader = new PretrainedWeightsLoader();
        loader.Load(target, good); // warm-up: lazily created state is not a leak
        DisposeScopeManager.Statistics.Reset();

        loader.Load(target, good);
        Assert.ThrowsExactly<PretrainedWeightsMismatchException>(() => loader.Load(target, bad));

        Assert.AreEqual(0L, DisposeScopeManager.Statistics.ThreadTotalLiveCount, DisposeScopeManager.Statistics.ToString());
    }

    private static Dictionary<string, Tensor> StateOf(SmallConvNet net)
    {
        using (net)
        {
            return net.Snapshot();
        }
    }

    private static PretrainedWeightsMismatchException LoadExpectingMismatch(
        SmallConvNet target, Dictionary<string, Tensor> source, string? sourceName = null, PretrainedWeightsLoader? loader = null)
    {
        loader ??= new PretrainedWeightsLoader();
        return Assert.ThrowsExactly<PretrainedWeightsMismatchException>(() => loader.Load(target, source, sourceName));
    }
}
