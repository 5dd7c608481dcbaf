using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Seeding;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class EstimatorTrainingFeaturesTests
{
    private const string SmallLayout = "8,16,M,16,32";
    private static readonly ImageShape _shape = new(1, 16, 16);
    private static readonly ImageDataset _train = ShapesGenerator.Generate(count: 128, seed: 51, imageSize: 16).Images;
    private static readonly ImageDataset _test = ShapesGenerator.Generate(count: 64, seed: 52, imageSize: 16).Images;
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-estimator-features");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static DecoupleNetworkEstimator.Options Options(bool gated) => new()
    {
        Architecture = NetworkArchitecture.Vgg(SmallLayout),
        Epochs = 1,
        BatchSize = 32,
        LearningRate = 0.05,
        MutualInformationWeight = 0.5,
        SparsityWeight = 0.05,
        TargetRatio = 0.5,
        Seed = 5,
        UseGates = gated,
    };

    private static List<(ChannelMessageKind Kind, string Message)> CaptureLog(MLContext ml)
    {
        var log = new List<(ChannelMessageKind, string)>();
        ml.Log += (_, e) =>
        {
            if (e.Source.Contains(nameof(DecoupleNetworkEstimator), StringComparison.Ordinal))
            {
                lock (log)
                {
                    log.Add((e.Kind, e.RawMessage));
                }
            }
        };
        return log;
    }

    private static DecoupledNetwork Build(int seed, bool gated, string layout = SmallLayout, bool convolutionBias = false) =>
        NetworkArchitecture.Vgg(layout, convolutionBias).Build(_shape, ShapesGenerator.ClassNames.Count, gated, seed: seed);

    [TestMethod]
    public void OptionsChangedAfterConstruction_DoNotReachTheEstimator()
    {
        static EpochReport[] Fit(Func<MLContext, DecoupleNetworkEstimator> makeEstimator)
        {
            var ml = new MLContext(seed: 1);
            var estimator = makeEstimator(ml);
            using var model = estimator.Fit(_train.ToDataView(ml));
            return model.TrainingHistory.Select(r => r with { Seconds = 0 }).ToArray();
        }

        var expected = Fit(ml => ml.Transforms.DecoupleNetwork(Options(gated: true)));
        var actual = Fit(ml =>
        {
            var options = Options(gated: true);
            var estimator = ml.Transforms.DecoupleNetwork(options);
            // Values that validation refuses (zero division, no epoch, NaN updates) and a missing column.
            options.BatchSize = 0;
            options.Epochs = 0;
            options.LearningRate = double.NaN;
            options.GradientClipNorm = -1;
            options.Architecture = null!;
            options.FeatureColumnName = "NoSuchColumn";
            return estimator;
        });

        Assert.HasCount(1, actual);
        Assert.AreEqual(0.05, actual[0].LearningRate);
        Assert.IsTrue(double.IsFinite(actual[0].Total));
        CollectionAssert.AreEqual(expected, actual, "trained exactly as with the options it was made with");
    }

    [TestMethod]
    public void DenseThenDecoupled_ThroughThePublicApi_StartsFromTheDenseWeights()
    {
        var ml = new MLContext(seed: 1);
        var log = CaptureLog(ml);
        var view = _train.ToDataView(ml);
        string densePath = Path.Combine(_folder, "dense.pt");
        StateDictSnapshot dense;
        using (var denseModel = ml.Transforms.DecoupleNetwork(Options(gated: false)).Fit(view))
        {
            Assert.IsFalse(denseModel.Network.IsGated);
            Assert.AreEqual(0, denseModel.PathLayout.PathLength);
            denseModel.SaveWeights(densePath);
            dense = StateDictSnapshot.Of(denseModel.Network);
        }

        using (var scope = NewDisposeScope())
        {
            StateDictSnapshot.AssertIdentical(dense, StateDictSnapshot.Of(StateDictFile.Read(densePath)), "SaveWeights read back");
        }

        Assert.IsFalse(dense.Keys.Any(PretrainedWeights.IsDecouplingKey));

        // The dense weights applied to a fresh gated network: every dense tensor copied, the gates keep their init.
        using (var fresh = Build(9, gated: true))
        {
            var initial = StateDictSnapshot.Of(fresh);
            var report = PretrainedWeights.FromFile(densePath).ApplyWithReport(fresh);
            var after = StateDictSnapshot.Of(fresh);
            Assert.AreEqual(dense.Keys.Count(), report.LoadedCount);
            var decoupling = initial.Keys.Where(PretrainedWeights.IsDecouplingKey).ToArray();
            Assert.IsNotEmpty(decoupling);
            CollectionAssert.AreEquivalent(decoupling, report.KeptInitialKeys.ToArray());
            CollectionAssert.AreEquivalent(dense.Keys.Concat(decoupling).ToArray(), after.Keys.ToArray());
            foreach (string key in after.Keys)
            {
                StateDictSnapshot.AssertIdentical(PretrainedWeights.IsDecouplingKey(key) ? initial : dense, after, key, "applied");
            }

            foreach (var gate in fresh.Gates)
            {
                Assert.AreEqual(0f, gate.Squeeze.weight!.abs().max().item<float>(), "W1 keeps its zero init");
                Assert.IsTrue(gate.Squeeze.bias!.eq(1).all().item<bool>());
                Assert.IsTrue(gate.Excite.bias!.eq(1).all().item<bool>());
            }
        }

        // Through the estimator; a learning rate far below float resolution keeps every trained parameter at its start.
        var options = Options(gated: true);
        options.InitialWeights = PretrainedWeights.FromFile(densePath);
        options.LearningRate = 1e-30;
        using var gated = ml.Transforms.DecoupleNetwork(options).Fit(view);
        Assert.IsTrue(gated.Network.IsGated);
        string[] lines;
        lock (log)
        {
            lines = log.Select(l => l.Message).Where(m => m.Contains("Initial weights", StringComparison.Ordinal)).ToArray();
        }

        Assert.HasCount(1, lines, string.Join('\n', log.Select(l => l.Message)));
        StringAssert.Contains(lines[0], "dense.pt");
        StringAssert.Contains(lines[0], $"{dense.Keys.Count()} tensors loaded");
        var trained = StateDictSnapshot.Of(gated.Network);
        var parameters = gated.Network.named_parameters().Select(p => p.name).Where(k => !PretrainedWeights.IsDecouplingKey(k)).ToArray();
        Assert.IsNotEmpty(parameters);
        foreach (string key in parameters)
        {
            StateDictSnapshot.AssertIdentical(dense, trained, key, "estimator's gated network");
        }
    }

    [TestMethod]
    public void WeightsOfAnotherArchitecture_FailListingTheEntries_AndCopyNothing()
    {
        string path = Path.Combine(_folder, "vgg.pt");
        using (var source = Build(1, gated: false))
        {
            StateDictFile.Write(path, source);
        }

        using (var resnet = NetworkArchitecture.CifarResNet(20).Build(_shape, ShapesGenerator.ClassNames.Count, seed: 3))
        {
            var before = StateDictSnapshot.Of(resnet);
            var error = Assert.ThrowsExactly<PretrainedWeightsMismatchException>(() => PretrainedWeights.FromFile(path).ApplyTo(resnet));
            CollectionAssert.Contains(error.UnmatchedSourceKeys.ToArray(), "features.0.weight");
            CollectionAssert.Contains(error.MissingTargetKeys.ToArray(), "conv1.weight");
            CollectionAssert.Contains(error.MissingTargetKeys.ToArray(), "layer1.0.conv1.weight");
            Assert.IsFalse(error.MissingTargetKeys.Any(PretrainedWeights.IsDecouplingKey), "gates are optional");
            StringAssert.Contains(error.Message, "features.0.weight");
            StringAssert.Contains(error.Message, "conv1.weight");
            StringAssert.Contains(error.Message, "'vgg.pt'");
            StateDictSnapshot.AssertIdentical(before, StateDictSnapshot.Of(resnet), "nothing copied");
        }

        // Same names, other widths: every mis-shaped entry is listed.
        using (var narrower = Build(2, gated: true, layout: "8,16,M,16,16"))
        {
            var before = StateDictSnapshot.Of(narrower);
            var error = Assert.ThrowsExactly<PretrainedWeightsMismatchException>(() => PretrainedWeights.FromFile(path).ApplyTo(narrower));
            var keys = error.IncompatibleEntries.Select(e => e.SourceKey).ToArray();
            CollectionAssert.IsSubsetOf(new[] { "features.10.weight", "features.11.weight", "features.11.running_mean", "classifier.weight" }, keys);
            Assert.IsFalse(keys.Any(k => k.StartsWith("features.0.", StringComparison.Ordinal)), "matching layers are not listed");
            StringAssert.Contains(error.Message, "features.10.weight: source [32, 16, 3, 3] Float32, target [16, 16, 3, 3] Float32 (shape differs)");
            StateDictSnapshot.AssertIdentical(before, StateDictSnapshot.Of(narrower), "nothing copied");
        }
    }

    [TestMethod]
    public void NetworkSlimmingVggNaming_RenamesFeatureKeys()
    {
        string path = Path.Combine(_folder, "slimming.pth");
        StateDictSnapshot dense;
        using (var scope = NewDisposeScope())
        using (var source = Build(1, gated: false))
        {
            dense = StateDictSnapshot.Of(source);
            var renamed = source.state_dict().ToDictionary(
                kv => kv.Key.StartsWith("features.", StringComparison.Ordinal) ? "feature." + kv.Key["features.".Length..] : kv.Key,
                kv => kv.Value);
            Assert.IsTrue(renamed.ContainsKey("feature.0.weight") && renamed.ContainsKey("classifier.weight"));
            StateDictFile.Write(path, renamed);
        }

        using var network = Build(2, gated: true);
        var error = Assert.ThrowsExactly<PretrainedWeightsMismatchException>(() => PretrainedWeights.FromFile(path).ApplyTo(network));
        CollectionAssert.Contains(error.UnmatchedSourceKeys.ToArray(), "feature.0.weight");
        CollectionAssert.Contains(error.MissingTargetKeys.ToArray(), "features.0.weight");

        var report = PretrainedWeights.FromFile(path, StateDictNaming.NetworkSlimmingVgg).ApplyWithReport(network);
        Assert.AreEqual(dense.Keys.Count(), report.LoadedCount);
        Assert.IsEmpty(report.IgnoredSourceKeys);
        var after = StateDictSnapshot.Of(network);
        foreach (string key in dense.Keys)
        {
            StateDictSnapshot.AssertIdentical(dense, after, key, "renamed");
        }
    }

    [TestMethod]
    public void TorchvisionVggNaming_SkipsTheClassifierAndNeedsConvolutionBiases()
    {
        string path = Path.Combine(_folder, "vgg_bn.pt");
        StateDictSnapshot features;
        string[] torchvisionClassifier = ["classifier.0.weight", "classifier.0.bias", "classifier.3.weight", "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"];
        using (var scope = NewDisposeScope())
        using (var source = Build(1, gated: false, convolutionBias: true))
        {
            var stateDict = source.state_dict().Where(kv => !kv.Key.StartsWith("classifier.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
            Assert.IsTrue(stateDict.ContainsKey("features.0.bias"), "torchvision's convs have biases");
            features = StateDictSnapshot.Of(stateDict);
            // torchvision's three-layer head (sizes scaled down): no counterpart in our GAP + linear head.
            using var draws = SeededGenerator.Create(3);
            stateDict["classifier.0.weight"] = randn([64, 32 * 4], generator: draws);
            stateDict["classifier.0.bias"] = randn([64], generator: draws);
            stateDict["classifier.3.weight"] = randn([64, 64], generator: draws);
            stateDict["classifier.3.bias"] = randn([64], generator: draws);
            stateDict["classifier.6.weight"] = randn([1000, 64], generator: draws);
            stateDict["classifier.6.bias"] = randn([1000], generator: draws);
            StateDictFile.Write(path, stateDict);
        }

        using var network = Build(2, gated: true, convolutionBias: true);
        var native = Assert.ThrowsExactly<PretrainedWeightsMismatchException>(() => PretrainedWeights.FromFile(path).ApplyTo(network));
        CollectionAssert.AreEquivalent(torchvisionClassifier, native.UnmatchedSourceKeys.ToArray());
        CollectionAssert.AreEquivalent(new[] { "classifier.weight", "classifier.bias" }, native.MissingTargetKeys.ToArray());

        var initial = StateDictSnapshot.Of(network);
        var report = PretrainedWeights.FromFile(path, StateDictNaming.TorchvisionVgg).ApplyWithReport(network);
        CollectionAssert.AreEquivalent(torchvisionClassifier, report.IgnoredSourceKeys.ToArray());
        Assert.AreEqual(features.Keys.Count(), report.LoadedCount);
        CollectionAssert.IsSubsetOf(new[] { "classifier.weight", "classifier.bias" }, report.KeptInitialKeys.ToArray());
        var after = StateDictSnapshot.Of(network);
        foreach (string key in after.Keys)
        {
            StateDictSnapshot.AssertIdentical(features.Entries.ContainsKey(key) ? features : initial, after, key, "torchvision");
        }

        // Without conv biases in the network, the biases in the file have nowhere to go.
        using var unbiased = Build(2, gated: true);
        var error = Assert.ThrowsExactly<PretrainedWeightsMismatchException>(() => PretrainedWeights.FromFile(path, StateDictNaming.TorchvisionVgg).ApplyTo(unbiased));
        CollectionAssert.Contains(error.UnmatchedSourceKeys.ToArray(), "features.0.bias");
    }

    [TestMethod]
    public void AnalyzeFilterStates_CountsEveryGatedLayerConsistentlyWithThePathColumn()
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Transforms.DecoupleNetwork(Options(gated: true)).Fit(_train.ToDataView(ml));
        var view = _test.ToDataView(ml);
        var states = model.AnalyzeFilterStates(view);

        var layout = model.PathLayout;
        Assert.HasCount(2, layout.Layers, "conv1 and conv2 of the small VGG are gated");
        Assert.HasCount(layout.Layers.Count, states);
        var paths = model.Transform(view).GetColumn<VBuffer<float>>(model.Columns.Path).Select(p => p.DenseValues().ToArray()).ToArray();
        Assert.HasCount(_test.Count, paths);
        for (int l = 0; l < states.Count; l++)
        {
            var layer = layout.Layers[l];
            var counts = states[l].States;
            Assert.AreEqual(layer.Name, states[l].Layer);
            Assert.AreEqual(layer.Filters, states[l].Filters);
            Assert.AreEqual(layer.Filters, counts.Energetic + counts.Silent + counts.Dynamic);
            int[] on = Enumerable.Range(layer.PathOffset, layer.Filters).Select(bit => paths.Count(p => p[bit] == 1f)).ToArray();
            Assert.AreEqual(on.Count(c => c == paths.Length), counts.Energetic, layer.Name);
            Assert.AreEqual(on.Count(c => c == 0), counts.Silent, layer.Name);
            Assert.AreEqual((double)on.Sum() / ((long)paths.Length * layer.Filters), states[l].ActiveRatio, layer.Name);
        }

        Assert.AreEqual(FilterStateCounts.FromPaths(paths, layout.PathLength), FilterStateAnalysis.Total(states));
        Assert.ThrowsExactly<ArgumentException>(() => model.AnalyzeFilterStates(ml.Data.SkipRows(view, _test.Count)));
    }

    [TestMethod]
    [DoNotParallelize]
    public void Fit_WithACancelledToken_ThrowsAndLeavesNoFiles()
    {
        string modelFolder = Path.Combine(Path.GetTempPath(), "Microsoft.ML.Decoupling");
        string[] Files() => Directory.Exists(modelFolder) ? Directory.GetFiles(modelFolder) : [];
        var before = Files();
        var ml = new MLContext(seed: 1);
        var options = Options(gated: true);
        options.CheckpointPath = Path.Combine(_folder, "run.ckpt");
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.DecoupleNetwork(options).Fit(_train.ToDataView(ml), cancellation.Token));
        CollectionAssert.AreEquivalent(before, Files(), "no ONNX model file left behind");
        Assert.IsEmpty(Directory.GetFiles(_folder), "no checkpoint or temporary file");
    }

    [TestMethod]
    public void DeviceSelection_FollowsGpuDeviceIdAndFallbackToCpu()
    {
        if (cuda.is_available())
        {
            Assert.Inconclusive("This test checks the CPU-only behaviour.");
        }

        Assert.AreEqual(DeviceType.CPU, TrainingDevice.Select(null, fallbackToCpu: false, out string? none).type);
        Assert.IsNull(none);

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => TrainingDevice.Select(0, fallbackToCpu: false, out _));
        StringAssert.Contains(error.Message, "GpuDeviceId");
        StringAssert.Contains(error.Message, "FallbackToCpu");

        Assert.AreEqual(DeviceType.CPU, TrainingDevice.Select(0, fallbackToCpu: true, out string? warning).type);
        Assert.IsNotNull(warning);
        StringAssert.Contains(warning, "GpuDeviceId");

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TrainingDevice.Select(-1, fallbackToCpu: true, out _));

        var strict = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        var strictError = Assert.ThrowsExactly<InvalidOperationException>(() => strict.Transforms.DecoupleNetwork(Options(gated: true)).Fit(_train.ToDataView(strict)));
        StringAssert.Contains(strictError.Message, "GpuDeviceId");

        var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };
        var log = CaptureLog(ml);
        using var model = ml.Transforms.DecoupleNetwork(Options(gated: true)).Fit(_train.ToDataView(ml));
        Assert.AreEqual(DeviceType.CPU, model.Network.Device.type);
        Assert.HasCount(1, model.TrainingHistory);
        lock (log)
        {
            Assert.IsTrue(log.Any(l => l.Kind == ChannelMessageKind.Warning && l.Message.Contains("GpuDeviceId", StringComparison.Ordinal)), string.Join('\n', log.Select(l => $"{l.Kind}: {l.Message}")));
        }
    }
}
