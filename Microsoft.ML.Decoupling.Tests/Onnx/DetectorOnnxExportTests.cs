using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Native;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Exports a decoupled network trained on Fashion-MNIST together with ML.NET detectors trained on its paths (clean vs. FGSM
/// images) as one ONNX model, and checks it against the two-stage ML.NET pipeline (network transformer, then detector).
/// </summary>
[TestClass]
public sealed class DetectorOnnxExportTests
{
    private const float AdversarialScoreTolerance = 1e-4f;
    private const string IsAdversarial = "IsAdversarial";
    private const int CleanCount = 150;

    private static MLContext _mlContext = null!;
    private static DecoupledNetworkTransformer _network = null!;
    private static ImageDataset _images = null!;
    private static IDataView _detectionData = null!;
    private static ITransformer _forestOnPath = null!;
    private static ITransformer _boostingOnPathAndScore = null!;
    private static string _folder = null!;

    [ClassInitialize]
    public static void TrainNetworkAndDetectors(TestContext context)
    {
        TorchNativeLoader.EnsureTorch();
        _mlContext = new MLContext(seed: 1);
        // A network with input-dependent gates (random, centred on these images) stands in for a trained one: training
        // takes long on this CPU, and parity needs many different paths, which short training does not give.
        ImageDataset clean = TestDatasets.LoadFashionMnistSubset(DataSplit.Test, CleanCount);
        _network = CreateTransformer(clean, NetworkArchitecture.Vgg("8,16,M,16,32"), gated: true);

        // Clean test images followed by their FGSM copies: real images for both the detector and the parity checks.
        float[] adversarial = FastGradientSignMethod.Attack(_network.Network, clean.Pixels, clean.Labels, epsilon: 0.1);
        _images = new ImageDataset(
            [.. clean.Pixels, .. adversarial], [.. clean.Labels, .. clean.Labels], clean.Channels, clean.Height, clean.Width, clean.ClassNames);
        _detectionData = DetectionData(_network.Transform(_images.ToDataView(_mlContext)));

        _forestOnPath = _mlContext.BinaryClassification.Trainers.FastForest(IsAdversarial, DecouplingColumnNames.Path, numberOfTrees: 20)
            .Fit(_detectionData);
        _boostingOnPathAndScore = _mlContext.Transforms.Concatenate("Features", DecouplingColumnNames.Path, DecouplingColumnNames.Score)
            .Append(_mlContext.BinaryClassification.Trainers.FastTree(IsAdversarial, "Features", numberOfTrees: 20))
            .Fit(_detectionData);
        _folder = TestDatasets.CreateTempDirectory("detector-onnx");
        context.WriteLine($"Path length {_network.PathLayout.PathLength}, {_images.Count} images ({CleanCount} clean, {CleanCount} FGSM ε 0.1).");
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        _network?.Dispose();
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void SaveOnnxWithDetector_ForestOnPath_MatchesTwoStageMLNetPipeline()
    {
        string path = Path.Combine(_folder, "forest.onnx");

        DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _forestOnPath, _detectionData, path);

        AssertParity(path, _forestOnPath, DetectorOnnxExportOptions.ScoreColumnName);
    }

    [TestMethod]
    public void SaveOnnxWithDetector_ForestOnResponsesAndScore_MatchesTwoStageMLNetPipeline()
    {
        string path = Path.Combine(_folder, "forest-responses.onnx");
        var detector = _mlContext.Transforms.Concatenate("Features", DecouplingColumnNames.Responses, DecouplingColumnNames.Score)
            .Append(_mlContext.BinaryClassification.Trainers.FastForest(IsAdversarial, "Features", numberOfTrees: 20))
            .Fit(_detectionData);

        DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, detector, _detectionData, path);

        AssertParity(path, detector, DetectorOnnxExportOptions.ScoreColumnName);
        using var session = new InferenceSession(path);
        Assert.IsTrue(session.OutputMetadata.ContainsKey(DecouplingColumnNames.Responses), "the merged graph also outputs the responses");
    }

    [TestMethod]
    public void SaveOnnxWithDetector_BoostingOnPathAndScore_GivesTheCalibratedProbability()
    {
        string path = Path.Combine(_folder, "boosting.onnx");

        DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _boostingOnPathAndScore, _detectionData, path);

        float[] probabilities = AssertParity(path, _boostingOnPathAndScore, DetectorOnnxExportOptions.ProbabilityColumnName);
        Assert.IsTrue(probabilities.All(p => p is >= 0 and <= 1), "A calibrated probability lies in [0, 1].");
    }

    [TestMethod]
    public void SaveOnnxWithDetector_ChosenRawScore_IsTheDetectorsScoreColumn()
    {
        string path = Path.Combine(_folder, "boosting-raw.onnx");
        var options = new DetectorOnnxExportOptions { DetectorScoreColumnName = DetectorOnnxExportOptions.ScoreColumnName, AdversarialScoreName = "Suspicion" };

        DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _boostingOnPathAndScore, _detectionData, path, options);

        AssertParity(path, _boostingOnPathAndScore, DetectorOnnxExportOptions.ScoreColumnName, "Suspicion");
    }

    [TestMethod]
    public void SaveOnnxWithDetector_MergedFile_LoadsThroughApplyOnnxModelWithTheSameAdversarialScore()
    {
        string path = Path.Combine(_folder, "apply.onnx");
        DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _boostingOnPathAndScore, _detectionData, path);
        IDataView images = _images.ToDataView(_mlContext);
        float[] expected = DetectorColumn(_boostingOnPathAndScore.Transform(_network.Transform(images)), DetectorOnnxExportOptions.ProbabilityColumnName);

        using var onnx = (IDisposable)_mlContext.Transforms.ApplyOnnxModel(
            [DecouplingColumnNames.AdversarialScore, DecouplingColumnNames.Path], [DecouplingColumnNames.Image], path).Fit(images);
        IDataView output = ((ITransformer)onnx).Transform(images);

        var column = output.Schema[DecouplingColumnNames.AdversarialScore];
        float[] actual = output.GetColumn<VBuffer<float>>(column).SelectMany(v => v.DenseValues()).ToArray();
        TestContext.WriteLine($"ApplyOnnxModel: AdversarialScore is {column.Type}; max abs diff {MaxAbsDifference(expected, actual):E2} over {actual.Length} images.");
        Assert.HasCount(expected.Length, actual);
        Assert.IsLessThanOrEqualTo(AdversarialScoreTolerance, MaxAbsDifference(expected, actual));
    }

    [TestMethod]
    public void SaveOnnxWithDetector_NetworkWithoutGates_Throws()
    {
        using var dense = CreateTransformer(_images.Slice(0, 8), NetworkArchitecture.Vgg("4,M,4,8"), gated: false);
        string path = Path.Combine(_folder, "dense.onnx");

        var error = Assert.ThrowsExactly<ArgumentException>(
            () => DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, dense, _forestOnPath, _detectionData, path));

        Assert.AreEqual("network", error.ParamName);
        StringAssert.Contains(error.Message, "no gates");
        Assert.IsFalse(File.Exists(path));
    }

    [TestMethod]
    public void SaveOnnxWithDetector_DetectorInputWithAnotherPathLength_Throws()
    {
        int pathLength = _network.PathLayout.PathLength;
        IDataView shorter = DetectionData(pathLength - 1, _network.Network.Classes, [new float[pathLength - 1]], [new float[_network.Network.Classes]], [true]);

        var error = Assert.ThrowsExactly<ArgumentException>(
            () => DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _forestOnPath, shorter, Path.Combine(_folder, "short.onnx")));

        Assert.AreEqual("detectorInput", error.ParamName);
        StringAssert.Contains(error.Message, $"'{DecouplingColumnNames.Path}'");
        StringAssert.Contains(error.Message, $"vector of {pathLength} floats");
    }

    [TestMethod]
    public void SaveOnnxWithDetector_DetectorFittedOnAnotherPathLength_Throws()
    {
        int pathLength = _network.PathLayout.PathLength;
        int classes = _network.Network.Classes;
        var rows = Enumerable.Range(0, 40).Select(i => (Path: Enumerable.Range(0, pathLength - 1).Select(j => (float)((i + j) % 2)).ToArray(), Adversarial: i % 2 == 0)).ToArray();
        IDataView shorter = DetectionData(pathLength - 1, classes, rows.Select(r => r.Path).ToArray(), rows.Select(_ => new float[classes]).ToArray(), rows.Select(r => r.Adversarial).ToArray());
        var otherDetector = _mlContext.BinaryClassification.Trainers.FastForest(IsAdversarial, DecouplingColumnNames.Path, numberOfTrees: 2, minimumExampleCountPerLeaf: 2).Fit(shorter);

        var error = Assert.ThrowsExactly<ArgumentException>(
            () => DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, otherDetector, _detectionData, Path.Combine(_folder, "other.onnx")));

        Assert.AreEqual("detector", error.ParamName);
        StringAssert.Contains(error.Message, "does not accept the network's columns");
    }

    [TestMethod]
    public void SaveOnnxWithDetector_StageWithoutOnnxExport_IsNamed()
    {
        var flag = _mlContext.Transforms.CustomMapping<ScoreRow, FlagRow>((input, output) => output.Flag = input.Score > 0 ? 1 : 0, contractName: null)
            .Fit(_forestOnPath.Transform(_detectionData));
        var detector = _forestOnPath.Append(flag);
        var options = new DetectorOnnxExportOptions { DetectorScoreColumnName = nameof(FlagRow.Flag) };
        string path = Path.Combine(_folder, "custom.onnx");

        var error = Assert.ThrowsExactly<ArgumentException>(
            () => DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, detector, _detectionData, path, options));

        TestContext.WriteLine(error.Message);
        Assert.AreEqual("detector", error.ParamName);
        StringAssert.Contains(error.Message, "stage #1 CustomMappingTransformer<ScoreRow, FlagRow> has no ONNX export");
        Assert.IsFalse(File.Exists(path));
    }

    [TestMethod]
    public void SaveOnnxWithDetector_MissingScoreColumnOrClashingName_Throws()
    {
        var probability = new DetectorOnnxExportOptions { DetectorScoreColumnName = DetectorOnnxExportOptions.ProbabilityColumnName };
        var clash = new DetectorOnnxExportOptions { AdversarialScoreName = DecouplingColumnNames.Path };
        string path = Path.Combine(_folder, "bad-options.onnx");

        var missing = Assert.ThrowsExactly<ArgumentException>(
            () => DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _forestOnPath, _detectionData, path, probability));
        var clashing = Assert.ThrowsExactly<ArgumentException>(
            () => DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _forestOnPath, _detectionData, path, clash));

        StringAssert.Contains(missing.Message, "no float column 'Probability'");
        StringAssert.Contains(missing.Message, "'Score'");
        StringAssert.Contains(clashing.Message, $"'{DecouplingColumnNames.Path}' is already used");
        Assert.IsFalse(File.Exists(path));
    }

    [TestMethod]
    public void SaveOnnxWithDetector_MissingFolder_ThrowsAndWritesNothing()
    {
        string path = Path.Combine(_folder, "missing", "merged.onnx");

        Assert.ThrowsExactly<DirectoryNotFoundException>(
            () => DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _forestOnPath, _detectionData, path));
        Assert.ThrowsExactly<ArgumentException>(
            () => DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, _forestOnPath, _detectionData, _folder));

        Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(path)));
    }

    /// <summary>
    /// Runs the merged model in ONNX Runtime (batches of 64) and compares it with the two-stage ML.NET pipeline and with the
    /// network's own ONNX model; returns the adversarial scores.
    /// </summary>
    private float[] AssertParity(string path, ITransformer detector, string detectorColumn, string outputName = DecouplingColumnNames.AdversarialScore)
    {
        IDataView twoStage = detector.Transform(_network.Transform(_images.ToDataView(_mlContext)));
        float[] expected = DetectorColumn(twoStage, detectorColumn);
        string networkPath = Path.Combine(_folder, $"network-{Guid.NewGuid():N}.onnx");
        _network.SaveOnnx(networkPath);
        using var merged = new InferenceSession(path);
        using var network = new InferenceSession(networkPath);

        var actual = Run(merged, [DecouplingColumnNames.Score, DecouplingColumnNames.Path, outputName]);
        var reference = Run(network, [DecouplingColumnNames.Score, DecouplingColumnNames.Path]);

        double difference = MaxAbsDifference(expected, actual[2]);
        int distinct = actual[2].Distinct().Count();
        TestContext.WriteLine(
            $"{detectorColumn}: max abs diff to ML.NET {difference:E2} over {expected.Length} images ({distinct} distinct values); "
            + $"Score max abs diff to the network's ONNX {MaxAbsDifference(reference[0], actual[0]):E2}; paths equal: {reference[1].SequenceEqual(actual[1])}.");
        Assert.IsLessThanOrEqualTo(AdversarialScoreTolerance, difference);
        Assert.IsGreaterThan(10, distinct, "The scores should depend on the image, or the comparison says little.");
        CollectionAssert.AreEqual(reference[0], actual[0], "Score is the network's.");
        CollectionAssert.AreEqual(reference[1], actual[1], "Path is the network's.");
        CollectionAssert.AreEqual(new[] { -1, 1 }, merged.OutputMetadata[outputName].Dimensions);
        Assert.AreEqual(DecoupledNetworkOnnxExporter.BatchDimension, merged.OutputMetadata[outputName].SymbolicDimensions[0]);
        Assert.AreEqual(detectorColumn, merged.ModelMetadata.CustomMetadataMap[DetectorOnnxExport.AdversarialScoreSourceMetadataKey]);
        Assert.IsTrue(merged.ModelMetadata.CustomMetadataMap.ContainsKey(DecoupledNetworkOnnxExporter.PathLayoutMetadataKey), "The layer table is kept.");
        return actual[2];
    }

    private static float[][] Run(InferenceSession session, string[] outputs)
    {
        const int batchSize = 64;
        var results = outputs.Select(_ => new List<float>()).ToArray();
        using var runOptions = new RunOptions();
        for (int start = 0; start < _images.Count; start += batchSize)
        {
            int size = Math.Min(batchSize, _images.Count - start);
            float[] batch = _images.Pixels.AsSpan(start * _images.ImageSize, size * _images.ImageSize).ToArray();
            using var input = OrtValue.CreateTensorValueFromMemory(batch, [size, _images.ImageSize]);
            using var values = session.Run(runOptions, [DecouplingColumnNames.Image], [input], outputs);
            for (int i = 0; i < outputs.Length; i++)
            {
                results[i].AddRange(values[i].GetTensorDataAsSpan<float>());
            }
        }

        return results.Select(r => r.ToArray()).ToArray();
    }

    /// <summary>The transformer the estimator makes from an (untrained) network, seeded; gates made input-dependent.</summary>
    private static DecoupledNetworkTransformer CreateTransformer(ImageDataset images, NetworkArchitecture architecture, bool gated)
    {
        int classes = images.ClassNames.Count;
        var network = architecture.Build(new ImageShape(images.Channels, images.Height, images.Width), classes, gated, seed: 7);
        if (gated)
        {
            InputDependentGates.Apply(network, images.Pixels, images.Count, seed: 8);
        }

        var estimator = _mlContext.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { Architecture = architecture, UseGates = gated });
        return estimator.CreateTransformer(images.ToDataView(_mlContext), network, classes, []);
    }

    private static float[] DetectorColumn(IDataView data, string column) => data.GetColumn<float>(column).ToArray();

    private static double MaxAbsDifference(float[] expected, float[] actual) =>
        expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).DefaultIfEmpty().Max();

    /// <summary>Path, Score and IsAdversarial (the second half of <see cref="_images"/> is adversarial) from the network's output.</summary>
    private static IDataView DetectionData(IDataView networkOutput)
    {
        float[][] paths = networkOutput.GetColumn<VBuffer<float>>(DecouplingColumnNames.Path).Select(v => v.DenseValues().ToArray()).ToArray();
        float[][] scores = networkOutput.GetColumn<VBuffer<float>>(DecouplingColumnNames.Score).Select(v => v.DenseValues().ToArray()).ToArray();
        float[][] responses = networkOutput.GetColumn<VBuffer<float>>(DecouplingColumnNames.Responses).Select(v => v.DenseValues().ToArray()).ToArray();
        bool[] adversarial = Enumerable.Range(0, paths.Length).Select(i => i >= CleanCount).ToArray();
        return DetectionData(paths[0].Length, scores[0].Length, paths, scores, adversarial, responses);
    }

    private static IDataView DetectionData(int pathLength, int classes, float[][] paths, float[][] scores, bool[] adversarial, float[][]? responses = null)
    {
        var definition = SchemaDefinition.Create(typeof(DetectionRow), SchemaDefinition.Direction.Read);
        definition[nameof(DetectionRow.Path)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, pathLength);
        definition[nameof(DetectionRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes);
        definition[nameof(DetectionRow.Responses)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, pathLength);
        var rows = paths.Select((p, i) => new DetectionRow { Path = p, Score = scores[i], Responses = responses?[i] ?? new float[pathLength], IsAdversarial = adversarial[i] }).ToList();
        return _mlContext.Data.LoadFromEnumerable(rows, definition);
    }

    private sealed class DetectionRow
    {
        public float[] Path { get; set; } = [];

        public float[] Responses { get; set; } = [];

        public float[] Score { get; set; } = [];

        public bool IsAdversarial { get; set; }
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    private sealed class FlagRow
    {
        public float Flag { get; set; }
    }
}
