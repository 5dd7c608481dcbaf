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
/// The PathDeviation column of the fitted transformer: its schema, the ONNX graph's values against the TorchSharp ones of
/// a detection set built with the same calibration images, a model file round trip, and the merged graph (network +
/// forest on Responses and PathDeviation) against the two-stage ML.NET pipeline.
/// </summary>
[TestClass]
public sealed class PathDeviationColumnTests
{
    private const int CleanCount = 120;
    private static MLContext _mlContext = null!;
    private static DecoupledNetworkTransformer _network = null!;
    private static ImageDataset _clean = null!;
    private static ImageDataset _images = null!;
    private static string _folder = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void CreateNetwork(TestContext context)
    {
        TorchNativeLoader.EnsureTorch();
        _mlContext = new MLContext(seed: 1);
        _clean = TestDatasets.LoadFashionMnistSubset(DataSplit.Test, CleanCount);
        var architecture = NetworkArchitecture.Vgg("8,16,M,16,32");
        var network = architecture.Build(new ImageShape(_clean.Channels, _clean.Height, _clean.Width), _clean.ClassNames.Count, gated: true, seed: 7);
        // Input-dependent gates stand in for trained ones (see DetectorOnnxExportTests); the statistics are the estimator's.
        InputDependentGates.Apply(network, _clean.Pixels, _clean.Count, seed: 8);
        network.PathDeviation = PathDeviation.Fit(network, _clean);
        var estimator = _mlContext.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { Architecture = architecture });
        _network = estimator.CreateTransformer(_clean.ToDataView(_mlContext), network, _clean.ClassNames.Count, []);
        float[] adversarial = FastGradientSignMethod.Attack(network, _clean.Pixels, _clean.Labels, epsilon: 0.1);
        _images = new ImageDataset([.. _clean.Pixels, .. adversarial], [.. _clean.Labels, .. _clean.Labels], _clean.Channels, _clean.Height, _clean.Width, _clean.ClassNames);
        _folder = TestDatasets.CreateTempDirectory("path-deviation");
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

    [TestMethod]
    public void Transformer_WritesPathDeviation_AsTheDetectionSetComputesIt()
    {
        var output = _network.Transform(_images.ToDataView(_mlContext));
        int layers = _network.PathLayout.Layers.Count;
        Assert.AreEqual(layers + 1, ((VectorDataViewType)output.Schema[DecouplingColumnNames.PathDeviation].Type).Size);
        var onnx = output.GetColumn<VBuffer<float>>(DecouplingColumnNames.PathDeviation).Select(v => v.DenseValues().ToArray()).ToArray();
        // The detection set's column: TorchSharp, float64, fitted on the same clean images.
        var set = AdversarialDetectionData.Create(_network.Network, _clean, new FastGradientSignMethod(0.1), new DetectionDataOptions { DeviationCalibration = _clean });
        var clean = set.Rows.Where(r => !r.IsAdversarial).Select(r => r.PathDeviation!).ToArray();
        double worst = 0;
        for (int i = 0; i < clean.Length; i++)
        {
            for (int j = 0; j <= layers; j++)
            {
                worst = Math.Max(worst, Math.Abs(onnx[i][j] - clean[i][j]) / (1 + Math.Abs(clean[i][j])));
            }
        }

        TestContext.WriteLine($"largest relative difference ONNX (float32) vs TorchSharp (float64): {worst:E2}; mean whole-path deviation {clean.Average(d => d[^1]):F1}");
        // float32 against float64 through precision matrices of 120 images: measured 5e-4; a wrong class or layer gives O(1).
        Assert.IsLessThan(1e-2, worst);
        Assert.IsGreaterThan(1, clean.Select(d => d[^1]).Distinct().Count(), "the deviation depends on the image");
    }

    [TestMethod]
    public void ModelFile_KeepsThePathDeviationColumn()
    {
        var data = _images.ToDataView(_mlContext);
        string file = Path.Combine(_folder, "model.zip");
        _network.Save(_mlContext, data.Schema, file);
        var loaded = _mlContext.Model.Load(file, out _);
        try
        {
            float[] expected = _network.Transform(data).GetColumn<VBuffer<float>>(DecouplingColumnNames.PathDeviation).SelectMany(v => v.DenseValues()).ToArray();
            float[] actual = loaded.Transform(data).GetColumn<VBuffer<float>>(DecouplingColumnNames.PathDeviation).SelectMany(v => v.DenseValues()).ToArray();
            CollectionAssert.AreEqual(expected, actual);
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    public void MergedGraph_ForestOnResponsesAndPathDeviation_MatchesTheTwoStagePipeline()
    {
        var networkOutput = _network.Transform(_images.ToDataView(_mlContext));
        var rows = networkOutput.GetColumn<VBuffer<float>>(DecouplingColumnNames.Responses)
            .Zip(networkOutput.GetColumn<VBuffer<float>>(DecouplingColumnNames.PathDeviation))
            .Select((p, i) => new DetectorRow { Responses = p.First.DenseValues().ToArray(), PathDeviation = p.Second.DenseValues().ToArray(), IsAdversarial = i >= CleanCount })
            .ToList();
        var definition = SchemaDefinition.Create(typeof(DetectorRow), SchemaDefinition.Direction.Read);
        definition[nameof(DetectorRow.Responses)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].Responses.Length);
        definition[nameof(DetectorRow.PathDeviation)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].PathDeviation.Length);
        var detectionData = _mlContext.Data.LoadFromEnumerable(rows, definition);
        var detector = PathAdversarialDetector.Forest(_mlContext, detectionData.Schema, PathAdversarialDetector.DetectorColumns).Fit(detectionData);
        string path = Path.Combine(_folder, "merged.onnx");

        DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, detector, detectionData, path);

        float[] expected = detector.Transform(networkOutput).GetColumn<float>(DetectorOnnxExportOptions.ScoreColumnName).ToArray();
        using var session = new InferenceSession(path);
        Assert.IsTrue(session.OutputMetadata.ContainsKey(DecouplingColumnNames.PathDeviation), "the merged graph also outputs the path deviation");
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(_images.Pixels, [_images.Count, _images.ImageSize]);
        using var outputs = session.Run(runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.AdversarialScore]);
        float[] actual = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        double difference = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        TestContext.WriteLine($"max abs difference {difference:E2} over {actual.Length} images, {actual.Distinct().Count()} distinct scores");
        Assert.IsLessThan(1e-4, difference);
        Assert.IsGreaterThan(10, actual.Distinct().Count(), "the scores depend on the image");
    }

    [TestMethod]
    public void MergedGraph_FromTheDetectionSetsView_WithAllFourNetworkColumns_IsWritten()
    {
        // The README's flow: the detector is fitted on DetectionSet.ToDataView, which holds Path, Score, Responses and
        // PathDeviation; the export's root view once had room for three and dropped PathDeviation.
        var set = AdversarialDetectionData.Create(_network.Network, _clean, new FastGradientSignMethod(0.1), new DetectionDataOptions { DeviationCalibration = _clean });
        var view = set.ToDataView(_mlContext);
        var detector = PathAdversarialDetector.Forest(_mlContext, view.Schema, PathAdversarialDetector.DetectorColumns).Fit(view);
        string path = Path.Combine(_folder, "merged-from-set.onnx");

        DetectorOnnxExport.SaveOnnxWithDetector(_mlContext, _network, detector, view, path);

        using var session = new InferenceSession(path);
        Assert.IsTrue(session.OutputMetadata.ContainsKey(DecouplingColumnNames.AdversarialScore));
        Assert.IsTrue(session.OutputMetadata.ContainsKey(DecouplingColumnNames.PathDeviation));
    }

    [TestMethod]
    public void Fit_WritesTheColumnUnlessDeviationCalibrationImagesIsZero()
    {
        var shapes = ShapesGenerator.Generate(count: 120, seed: 3, imageSize: 16).Images;
        var data = shapes.ToDataView(_mlContext);
        foreach (int calibration in new[] { 50, 0 })
        {
            var options = new DecoupleNetworkEstimator.Options { Architecture = NetworkArchitecture.Vgg("8,M,8,8"), Epochs = 1, BatchSize = 32, Seed = 2, DeviationCalibrationImages = calibration };
            var estimator = _mlContext.Transforms.DecoupleNetwork(options);
            using var model = estimator.Fit(data);
            var column = model.Transform(data).Schema.GetColumnOrNull(DecouplingColumnNames.PathDeviation);
            Assert.AreEqual(calibration > 0, column is not null, $"DeviationCalibrationImages {calibration}");
        }

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _mlContext.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options { DeviationCalibrationImages = -1 }));
    }

    private sealed class DetectorRow
    {
        public float[] Responses { get; set; } = [];

        public float[] PathDeviation { get; set; } = [];

        public bool IsAdversarial { get; set; }
    }
}
