using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Native;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Exports a gated network trained for one epoch on real Fashion-MNIST images and checks the ONNX model in ONNX Runtime
/// against the TorchSharp network in evaluation mode.
/// </summary>
[TestClass]
public sealed class OnnxExportTests
{
    private const int TrainCount = 1000;
    private const int TestCount = 256;
    private const float ScoreTolerance = 1e-4f;
    private const string Layers = "8,16,M,16,32";

    private static DecoupledNetwork _network = null!;
    private static ImageDataset _test = null!;
    private static byte[] _model = [];
    private static float[] _expectedScores = [];
    private static float[] _expectedPaths = [];

    [ClassInitialize]
    public static void TrainAndExport(TestContext context)
    {
        TorchNativeLoader.EnsureTorch();
        ImageDataset train = TestDatasets.LoadFashionMnistSubset(DataSplit.Train, TrainCount);
        _test = TestDatasets.LoadFashionMnistSubset(DataSplit.Test, TestCount);
        _network = NetworkArchitecture.Vgg(Layers).Build(new ImageShape(train.Channels, train.Height, train.Width), train.ClassNames.Count, seed: 11);
        // Three short epochs (~3 s on 2 cores) and a sparsity target of one half close some gates for some inputs only.
        var settings = new TrainingSettings(
            Epochs: 3, BatchSize: 32, LearningRate: 0.1, Momentum: 0.9, WeightDecay: 1e-4,
            Weights: new LossWeights(MutualInformation: 0.04, KullbackLeibler: 1, Sparsity: 0.01, TargetRatio: 0.5), Seed: 11);
        new DecouplingTrainer(settings).Train(_network, train.Pixels, train.Labels);

        _model = DecoupledNetworkOnnxExporter.Export(_network);
        (_expectedScores, _expectedPaths) = NetworkInference.Run(_network, _test.Pixels, _test.Count);
        context.WriteLine($"Trained {Layers} on {TrainCount} images; over {TestCount} test images: {DescribePaths(_expectedPaths, _network)}.");
    }

    [ClassCleanup]
    public static void DisposeNetwork() => _network?.Dispose();

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Export_BatchesOf64_MatchTorchScoresAndPaths()
    {
        using var session = new InferenceSession(_model);

        var (scores, paths) = RunOnnx(session, _test.Pixels, _test.Count, batchSize: 64);

        TestContext.WriteLine($"Score max abs diff {MaxAbsDifference(_expectedScores, scores):E2}; path bits equal {Agreement(_expectedPaths, paths):P3} of {paths.Length}.");
        int compared = TorchOnnxParity.Assert(_network, _test.Pixels, _test.Count, scores, paths, ScoreTolerance);
        Assert.IsGreaterThanOrEqualTo(_test.Count * 0.95, compared, "Nearly every image takes the same path in both runtimes.");
    }

    [TestMethod]
    public void Export_Responses_MatchTorchGatedResponses()
    {
        using var session = new InferenceSession(_model);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(_test.Pixels, [_test.Count, _test.ImageSize]);
        using var outputs = session.Run(runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.Path, DecouplingColumnNames.Responses]);
        var paths = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var responses = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        var expected = NetworkReadout.Run(_network, _test.Pixels, _test.Count);
        int length = _network.Description.PathLayout.PathLength;
        Assert.HasCount(expected.GatedResponses.Length, responses);

        // Compared on images whose whole path agrees (a bit flipped at g ≈ 0 changes every response after it).
        int compared = 0;
        double largest = 0;
        for (int i = 0; i < _test.Count; i++)
        {
            if (!paths.AsSpan(i * length, length).SequenceEqual(expected.Paths.AsSpan(i * length, length)))
            {
                continue;
            }

            compared++;
            for (int j = i * length; j < (i + 1) * length; j++)
            {
                largest = Math.Max(largest, Math.Abs(responses[j] - expected.GatedResponses[j]));
            }
        }

        TestContext.WriteLine($"Responses of {compared} images: max abs diff {largest:E2}; range of the responses {expected.GatedResponses.Min():F3} to {expected.GatedResponses.Max():F3}.");
        Assert.IsGreaterThanOrEqualTo(_test.Count * 0.95, compared);
        Assert.IsLessThan(1e-4, largest, "GAP(Y) before the gate, as the TorchSharp forward pass records it");
        Assert.IsGreaterThan(0.01, expected.GatedResponses.Max(), "the responses are not all zero");
    }

    [TestMethod]
    public void Export_BatchOfOne_MatchesTorch()
    {
        const int count = 8;
        using var session = new InferenceSession(_model);

        var (scores, paths) = RunOnnx(session, _test.Pixels.AsSpan(0, count * _test.ImageSize).ToArray(), count, batchSize: 1);

        TorchOnnxParity.Assert(_network, _test.Pixels.AsSpan(0, count * _test.ImageSize).ToArray(), count, scores, paths, ScoreTolerance);
    }

    [TestMethod]
    public void Export_InputDependentGates_MatchTorchPathPerImage()
    {
        // Training leaves few gates input-dependent. Random gate weights, each gate's logits then centred on the test images,
        // make every path bit input-dependent: this checks that each image's mask reaches that image's channels.
        using var network = NetworkArchitecture.Vgg(Layers).Build(new ImageShape(1, 28, 28), 10, seed: 5);
        InputDependentGates.Apply(network, _test.Pixels, _test.Count, seed: 6);

        var (expectedScores, expectedPaths) = NetworkInference.Run(network, _test.Pixels, _test.Count);
        using var session = new InferenceSession(DecoupledNetworkOnnxExporter.Export(network));

        var (scores, paths) = RunOnnx(session, _test.Pixels, _test.Count, batchSize: 64);

        int pathLength = network.Description.PathLayout.PathLength;
        var (distinct, dynamicBits) = CountPaths(expectedPaths, pathLength);
        double agreement = Agreement(expectedPaths, paths);
        TestContext.WriteLine(
            $"Random gates: {DescribePaths(expectedPaths, network)}; score max abs diff {MaxAbsDifference(expectedScores, scores):E2}, "
            + $"path bits equal {agreement:P3}.");
        Assert.IsGreaterThanOrEqualTo(pathLength / 2, dynamicBits, "Most path bits should depend on the image.");
        Assert.IsGreaterThanOrEqualTo(8, distinct, "The images should take several paths.");
        TorchOnnxParity.Assert(network, _test.Pixels, _test.Count, scores, paths, ScoreTolerance);
    }

    [TestMethod]
    public void Export_InputsAndOutputs_HaveDynamicBatchAndExpectedWidths()
    {
        using var session = new InferenceSession(_model);

        NodeMetadata input = session.InputMetadata[DecouplingColumnNames.Image];
        NodeMetadata score = session.OutputMetadata[DecouplingColumnNames.Score];
        NodeMetadata path = session.OutputMetadata[DecouplingColumnNames.Path];
        NodeMetadata responses = session.OutputMetadata[DecouplingColumnNames.Responses];

        Assert.HasCount(1, session.InputMetadata);
        CollectionAssert.AreEquivalent(new[] { DecouplingColumnNames.Score, DecouplingColumnNames.Path, DecouplingColumnNames.Responses }, session.OutputMetadata.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { -1, _network.Description.PathLayout.PathLength }, responses.Dimensions);
        CollectionAssert.AreEqual(new[] { -1, _test.ImageSize }, input.Dimensions);
        CollectionAssert.AreEqual(new[] { -1, _network.Classes }, score.Dimensions);
        CollectionAssert.AreEqual(new[] { -1, _network.Description.PathLayout.PathLength }, path.Dimensions);
        foreach (NodeMetadata value in new[] { input, score, path, responses })
        {
            Assert.AreEqual(DecoupledNetworkOnnxExporter.BatchDimension, value.SymbolicDimensions[0]);
            Assert.AreEqual(typeof(float), value.ElementType);
        }
    }

    [TestMethod]
    public void Export_Metadata_RoundTripsLayoutAndShape()
    {
        using var session = new InferenceSession(_model);
        ModelMetadata metadata = session.ModelMetadata;
        CalculationPathLayout expected = _network.Description.PathLayout;

        CalculationPathLayout layout = CalculationPathLayout.FromJson(metadata.CustomMetadataMap[DecoupledNetworkOnnxExporter.PathLayoutMetadataKey]);

        Assert.AreEqual(DecoupledNetworkOnnxExporter.ProducerName, metadata.ProducerName);
        Assert.AreEqual(expected.PathLength, layout.PathLength);
        CollectionAssert.AreEqual(expected.Layers.ToArray(), layout.Layers.ToArray());
        CollectionAssert.AreEqual(new[] { "features.3", "features.7" }, layout.Layers.Select(l => l.Name).ToArray());
        Assert.AreEqual("1,28,28", metadata.CustomMetadataMap[DecoupledNetworkOnnxExporter.InputShapeMetadataKey]);
        Assert.AreEqual("10", metadata.CustomMetadataMap[DecoupledNetworkOnnxExporter.ClassesMetadataKey]);
        Assert.AreEqual(
            FlopsCounter.Dense(_network.Description),
            long.Parse(metadata.CustomMetadataMap[DecoupledNetworkOnnxExporter.DenseFlopsMetadataKey], System.Globalization.CultureInfo.InvariantCulture));
    }

    [TestMethod]
    public void Export_Graph_UsesGateOperatorsAtOpsetAtMost17()
    {
        global::Onnx.ModelProto model = global::Onnx.ModelProto.Parser.ParseFrom(_model);
        var opTypes = model.Graph.Node.Select(n => n.OpType).ToHashSet();

        foreach (string op in new[] { "Reshape", "Conv", "Relu", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm", "HardSigmoid", "Mul", "Concat", "Softmax" })
        {
            Assert.Contains(op, opTypes);
        }

        Assert.DoesNotContain("BatchNormalization", opTypes, "BatchNorm is folded into the convs.");
        Assert.HasCount(1, model.OpsetImport);
        Assert.AreEqual(string.Empty, model.OpsetImport[0].Domain);
        Assert.IsLessThanOrEqualTo(17L, model.OpsetImport[0].Version);
        Assert.IsLessThanOrEqualTo(9L, model.IrVersion);
        Assert.Contains("features.3.weight", model.Graph.Initializer.Select(t => t.Name).ToArray());
        Assert.Contains("features.3.gate.squeeze.weight", model.Graph.Initializer.Select(t => t.Name).ToArray());
    }

    [TestMethod]
    [DataRow(13)]
    [DataRow(15)]
    public void Export_OlderOpsets_RunAndMatch(int opset)
    {
        const int count = 32;
        byte[] model = DecoupledNetworkOnnxExporter.Export(_network, new OnnxExportOptions { OpsetVersion = opset });
        using var session = new InferenceSession(model);

        var (scores, paths) = RunOnnx(session, _test.Pixels.AsSpan(0, count * _test.ImageSize).ToArray(), count, batchSize: count);

        Assert.AreEqual((long)opset, global::Onnx.ModelProto.Parser.ParseFrom(model).OpsetImport[0].Version);
        TorchOnnxParity.Assert(_network, _test.Pixels.AsSpan(0, count * _test.ImageSize).ToArray(), count, scores, paths, ScoreTolerance);
    }

    [TestMethod]
    public void Export_PredictedValue_IsStringClassValueOfArgmax()
    {
        string[] names = [.. _test.ClassNames];
        var options = new OnnxExportOptions { PredictedValueName = DecouplingColumnNames.PredictedLabel, ClassValues = names };
        using var session = new InferenceSession(DecoupledNetworkOnnxExporter.Export(_network, options));
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(_test.Pixels, [_test.Count, _test.ImageSize]);

        using var outputs = session.Run(
            runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.Score, DecouplingColumnNames.PredictedLabel]);

        float[] scores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        string[] predicted = outputs[1].GetStringTensorAsArray();
        Assert.HasCount(_test.Count, predicted);
        for (int i = 0; i < _test.Count; i++)
        {
            Assert.AreEqual(names[ArgMax(scores.AsSpan(i * names.Length, names.Length))], predicted[i], $"image {i}");
        }

        int correct = Enumerable.Range(0, _test.Count).Count(i => predicted[i] == names[_test.GetLabel(i)]);
        TestContext.WriteLine($"Test accuracy after three epochs: {(double)correct / _test.Count:P1}.");
    }

    [TestMethod]
    public void Export_PredictedValue_SupportsNumericClassValues()
    {
        int classes = _network.Classes;
        AssertPredictedValues(Enumerable.Range(0, classes).Select(k => k + 0.5f).ToArray());
        AssertPredictedValues(Enumerable.Range(0, classes).Select(k => k + 0.25).ToArray());
        AssertPredictedValues(Enumerable.Range(0, classes).Select(k => -k).ToArray());
        AssertPredictedValues(Enumerable.Range(1, classes).Select(k => (uint)k).ToArray());
        AssertPredictedValues(Enumerable.Range(0, classes).Select(k => (long)k << 40).ToArray());
    }

    [TestMethod]
    public void Options_BadValues_AreRejectedNamingTheOption()
    {
        var wrongLength = new OnnxExportOptions { PredictedValueName = "Predicted", ClassValues = new[] { "a", "b" } };
        var noValues = new OnnxExportOptions { PredictedValueName = "Predicted" };
        var sameNames = new OnnxExportOptions { PathName = DecouplingColumnNames.Score };

        var tooNew = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new OnnxExportOptions { OpsetVersion = 18 });
        var tooOld = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new OnnxExportOptions { OpsetVersion = 12 });
        var badType = Assert.ThrowsExactly<ArgumentException>(() => new OnnxExportOptions { ClassValues = new bool[10] });
        var nullName = Assert.ThrowsExactly<ArgumentException>(() => new OnnxExportOptions { ClassValues = new string?[] { "a", null } });
        var length = Assert.ThrowsExactly<ArgumentException>(() => DecoupledNetworkOnnxExporter.Export(_network, wrongLength));
        var missing = Assert.ThrowsExactly<ArgumentException>(() => DecoupledNetworkOnnxExporter.Export(_network, noValues));
        var clash = Assert.ThrowsExactly<ArgumentException>(() => DecoupledNetworkOnnxExporter.Export(_network, sameNames));
        var internalName = Assert.ThrowsExactly<ArgumentException>(
            () => DecoupledNetworkOnnxExporter.Export(_network, new OnnxExportOptions { ScoreName = "features.3.relu" }));
        // An input named like one of the graph's constants (a conv's weights, a shape) is refused too, not read as that constant.
        var inputNames = new[] { "features.3.weight", "input.shape", "head.weight" }.Select(name => Assert.ThrowsExactly<ArgumentException>(
            () => DecoupledNetworkOnnxExporter.Export(_network, new OnnxExportOptions { InputName = name }))).ToArray();

        Assert.AreEqual(nameof(OnnxExportOptions.OpsetVersion), tooNew.ParamName);
        Assert.AreEqual(nameof(OnnxExportOptions.OpsetVersion), tooOld.ParamName);
        foreach (var error in new[] { badType, nullName, length, missing })
        {
            Assert.AreEqual(nameof(OnnxExportOptions.ClassValues), error.ParamName, error.Message);
        }

        Assert.Contains("10", length.Message);
        Assert.AreEqual(nameof(OnnxExportOptions.PathName), clash.ParamName);
        Assert.Contains("features.3.relu", internalName.Message);
        foreach (var (error, name) in inputNames.Zip(new[] { "features.3.weight", "input.shape", "head.weight" }))
        {
            Assert.AreEqual("options", error.ParamName);
            Assert.Contains($"'{name}'", error.Message);
        }
    }

    [TestMethod]
    public void ExportToFile_ReplacesTheFileAndLeavesNothingElse()
    {
        string folder = TestDatasets.CreateTempDirectory("onnx-export-tests");
        try
        {
            string path = Path.Combine(folder, "model.onnx");
            File.WriteAllText(path, "stale");

            DecoupledNetworkOnnxExporter.Export(_network, path);

            CollectionAssert.AreEqual(_model, File.ReadAllBytes(path));
            CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder));
            var wrongLength = new OnnxExportOptions { PredictedValueName = "Predicted", ClassValues = new[] { "a" } };
            Assert.ThrowsExactly<ArgumentException>(() => DecoupledNetworkOnnxExporter.Export(_network, path, wrongLength));
            CollectionAssert.AreEqual(_model, File.ReadAllBytes(path), "A failed export leaves the previous file alone.");
            CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ExportToFile_BadPath_IsRejected()
    {
        string missingFolder = Path.Combine(Path.GetTempPath(), $"onnx-missing-{Guid.NewGuid():N}", "model.onnx");

        var empty = Assert.ThrowsExactly<ArgumentException>(() => DecoupledNetworkOnnxExporter.Export(_network, " "));
        var folder = Assert.ThrowsExactly<ArgumentException>(() => DecoupledNetworkOnnxExporter.Export(_network, Path.GetTempPath()));
        var missing = Assert.ThrowsExactly<DirectoryNotFoundException>(() => DecoupledNetworkOnnxExporter.Export(_network, missingFolder));

        Assert.AreEqual("path", empty.ParamName);
        Assert.AreEqual("path", folder.ParamName);
        Assert.Contains(Path.GetDirectoryName(missingFolder)!, missing.Message);
    }

    [TestMethod]
    [DoNotParallelize]
    public void Export_KeepsTrainingModeAndLeaksNoTensors()
    {
        bool wasTraining = _network.training;
        try
        {
            _network.train();
            DisposeScopeManager.Statistics.Reset();

            DecoupledNetworkOnnxExporter.Export(_network);

            Assert.IsTrue(_network.training, "Export must not switch the network to evaluation mode.");
            Assert.AreEqual(0L, DisposeScopeManager.Statistics.CreatedOutsideScopeCount, "Every tensor is made inside the export's dispose scope.");
            Assert.AreEqual(DisposeScopeManager.Statistics.CreatedInScopeCount, DisposeScopeManager.Statistics.DisposedInScopeCount);
            _network.eval();
            CollectionAssert.AreEqual(_model, DecoupledNetworkOnnxExporter.Export(_network), "The model does not depend on the mode.");
            Assert.IsFalse(_network.training);
        }
        finally
        {
            _network.train(wasTraining);
        }
    }

    [TestMethod]
    public void Export_DenseNetwork_HasEmptyPath()
    {
        const int count = 16;
        using var dense = NetworkArchitecture.Vgg(Layers).Build(new ImageShape(1, 28, 28), 10, gated: false, seed: 7);
        float[] pixels = _test.Pixels.AsSpan(0, count * _test.ImageSize).ToArray();
        var (expectedScores, _) = NetworkInference.Run(dense, pixels, count);
        using var session = new InferenceSession(DecoupledNetworkOnnxExporter.Export(dense));

        var (scores, paths) = RunOnnx(session, pixels, count, batchSize: count);

        Assert.IsEmpty(paths);
        Assert.IsLessThanOrEqualTo(ScoreTolerance, MaxAbsDifference(expectedScores, scores));
    }

    private static void AssertPredictedValues<T>(T[] values)
        where T : unmanaged
    {
        const int count = 64;
        var options = new OnnxExportOptions { PredictedValueName = "Predicted", ClassValues = values };
        using var session = new InferenceSession(DecoupledNetworkOnnxExporter.Export(_network, options));
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(_test.Pixels.AsSpan(0, count * _test.ImageSize).ToArray(), [count, _test.ImageSize]);

        using var outputs = session.Run(runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.Score, "Predicted"]);

        float[] scores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        T[] predicted = outputs[1].GetTensorDataAsSpan<T>().ToArray();
        Assert.AreEqual(typeof(T), session.OutputMetadata["Predicted"].ElementType);
        CollectionAssert.AreEqual(
            Enumerable.Range(0, count).Select(i => values[ArgMax(scores.AsSpan(i * values.Length, values.Length))]).ToArray(),
            predicted,
            typeof(T).Name);
    }

    private static (float[] Scores, float[] Paths) RunOnnx(InferenceSession session, float[] pixels, int count, int batchSize)
    {
        int imageSize = pixels.Length / count;
        var scores = new List<float>();
        var paths = new List<float>();
        using var runOptions = new RunOptions();
        for (int start = 0; start < count; start += batchSize)
        {
            int size = Math.Min(batchSize, count - start);
            float[] batch = pixels.AsSpan(start * imageSize, size * imageSize).ToArray();
            using var input = OrtValue.CreateTensorValueFromMemory(batch, [size, imageSize]);
            using var outputs = session.Run(
                runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.Score, DecouplingColumnNames.Path]);
            Assert.AreEqual(size, outputs[0].GetTensorTypeAndShape().Shape[0]);
            Assert.AreEqual(size, outputs[1].GetTensorTypeAndShape().Shape[0]);
            scores.AddRange(outputs[0].GetTensorDataAsSpan<float>());
            paths.AddRange(outputs[1].GetTensorDataAsSpan<float>());
        }

        return (scores.ToArray(), paths.ToArray());
    }

    private static float MaxAbsDifference(float[] expected, float[] actual)
    {
        Assert.HasCount(expected.Length, actual);
        return expected.Zip(actual, (e, a) => Math.Abs(e - a)).DefaultIfEmpty(0f).Max();
    }

    private static double Agreement(float[] expected, float[] actual)
    {
        Assert.HasCount(expected.Length, actual);
        return expected.Length == 0 ? 1.0 : (double)expected.Zip(actual).Count(p => p.First == p.Second) / expected.Length;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static string DescribePaths(float[] paths, DecoupledNetwork network)
    {
        var (distinct, dynamicBits) = CountPaths(paths, network.Description.PathLayout.PathLength);
        return $"{paths.Average():P1} of gates open, {distinct} distinct paths, {dynamicBits} dynamic bits of {network.Description.PathLayout.PathLength}";
    }

    /// <summary>Distinct paths, and bits that are on for some images and off for others.</summary>
    private static (int Distinct, int DynamicBits) CountPaths(float[] paths, int pathLength)
    {
        int count = paths.Length / pathLength;
        int distinct = Enumerable.Range(0, count)
            .Select(i => string.Concat(paths.AsSpan(i * pathLength, pathLength).ToArray().Select(b => b > 0.5f ? '1' : '0')))
            .Distinct()
            .Count();
        int dynamicBits = Enumerable.Range(0, pathLength)
            .Count(bit => Enumerable.Range(0, count).Select(i => paths[(i * pathLength) + bit]).Distinct().Count() > 1);
        return (distinct, dynamicBits);
    }
}
