using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Analysis.Concepts;
using Microsoft.ML.Decoupling.Analysis.Embedding;
using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Analysis.Report;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;
using SkiaSharp;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class DecouplingReportTests
{
    private static readonly ShapesDataset _train = ShapesGenerator.Generate(count: 96, seed: 71, imageSize: 16);
    private static readonly ShapesDataset _test = ShapesGenerator.Generate(count: 60, seed: 72, imageSize: 16);
    private static MLContext _ml = null!;
    private static DecoupledNetworkTransformer _model = null!;
    private string _folder = "";

    [ClassInitialize]
    public static void Fit(TestContext context)
    {
        _ = context;
        _ml = new MLContext(seed: 1);
        _model = _ml.Transforms.DecoupleNetwork(new DecoupleNetworkEstimator.Options
        {
            Architecture = NetworkArchitecture.Vgg("8,M,16,16,16"),
            Epochs = 1,
            BatchSize = 32,
            LearningRate = 0.05,
            Seed = 5,
        }).Fit(_train.Images.ToDataView(_ml));
    }

    [ClassCleanup]
    public static void DisposeModel() => _model.Dispose();

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-report");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void PathSetReader_ReadsThePathColumnAndTheClasses()
    {
        var view = _test.Images.ToDataView(_ml);
        var progress = new List<AnalysisProgress>();

        var paths = PathSet.Read(_model, view, progress: new SynchronousProgress(progress.Add));

        Assert.AreEqual(_test.Count, paths.Count);
        CollectionAssert.AreEqual(ShapesGenerator.ClassNames.ToArray(), paths.ClassNames.ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, _test.Count).Select(_test.Images.GetLabel).ToArray(), paths.Labels.ToArray());
        var column = _model.Transform(view).GetColumn<VBuffer<float>>(_model.Columns.Path).ToArray();
        for (int i = 0; i < paths.Count; i++)
        {
            CollectionAssert.AreEqual(column[i].DenseValues().ToArray(), paths.GetPath(i).ToArray());
        }

        Assert.AreEqual<AnalysisProgress>(("paths", _test.Count, _test.Count), progress[^1]);
        var activity = _model.AnalyzeFilterActivity(view);
        CollectionAssert.AreEqual(_model.AnalyzeFilterStates(view).ToArray(), activity.Layers.Select(l => l.ToFilterStates()).ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => PathSet.Read(_model, view, labelColumn: DecouplingColumnNames.Image));
        Assert.ThrowsExactly<ArgumentException>(() => PathSet.Read(_model, view, labelColumn: "Missing"));
    }

    [TestMethod]
    public void Write_ProducesEveryListedFile_AndThePngsDecode()
    {
        var options = new DecouplingReportOptions
        {
            Embedding = new TsneOptions { Iterations = 250, Perplexity = 10 },
            ConceptImages = ConceptImage.FromShapes(_test, count: 24),
            Concepts = new ConceptOptions { TopQuantile = 0.1 },
        };

        var written = DecouplingReport.Write(_model, _test.Images.ToDataView(_ml), _folder, options);

        string report = File.ReadAllText(Path.Combine(_folder, DecouplingReport.ReportFileName));
        Assert.AreEqual(Path.Combine(_folder, DecouplingReport.ReportFileName), written[^1]);
        var listed = System.Text.RegularExpressions.Regex.Matches(report, @"\]\(([^)]+)\)").Select(m => m.Groups[1].Value).Distinct().ToArray();
        Assert.IsGreaterThanOrEqualTo(6, listed.Length);
        foreach (string file in listed)
        {
            Assert.IsTrue(File.Exists(Path.Combine(_folder, file)), file);
        }

        CollectionAssert.AreEquivalent(
            Directory.GetFiles(_folder).Select(Path.GetFileName).ToArray(),
            listed.Append(DecouplingReport.ReportFileName).ToArray(),
            "no other files (no temporaries) are left");
        foreach (string png in listed.Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
        {
            using var bitmap = SKBitmap.Decode(Path.Combine(_folder, png));
            Assert.IsNotNull(bitmap, png);
            Assert.IsGreaterThan(200, bitmap.Width, png);
        }

        StringAssert.Contains(report, "## Concepts");
        Assert.AreEqual(1 + (2 * 16), File.ReadAllLines(Path.Combine(_folder, "filter-activity.csv")).Length, "a header and one line per gated filter");
    }

    [TestMethod]
    public void Write_RefusesAFileAsFolder_BeforeAnyWork()
    {
        string file = Path.Combine(_folder, "taken");
        File.WriteAllText(file, "");
        Assert.ThrowsExactly<ArgumentException>(() => DecouplingReport.Write(_model, _test.Images.ToDataView(_ml), file));
        Assert.ThrowsExactly<ArgumentException>(() => DecouplingReport.Write(_model, _test.Images.ToDataView(_ml), _folder, new DecouplingReportOptions { LabelColumnName = "Missing" }));
        CollectionAssert.AreEqual(new[] { "taken" }, Directory.GetFiles(_folder).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void Write_BadOptions_AreRefusedNamingThem_BeforeTheDataAreRead()
    {
        var progress = new List<AnalysisProgress>();
        var reporter = new SynchronousProgress(progress.Add);
        var view = _test.Images.ToDataView(_ml);
        foreach (var options in new DecouplingReportOptions[]
        {
            new() { Neighbors = 0 },
            new() { SeparabilitySamples = 1 },
            new() { Embedding = null! },
            new() { ConceptImages = [new ConceptImage(new float[7], 0, new Dictionary<string, bool[]>())] },
        })
        {
            var error = Assert.Throws<ArgumentException>(() => DecouplingReport.Write(_model, view, _folder, options, reporter));
            Assert.IsTrue(error.ParamName is "options" or "images", error.Message);
        }

        Assert.IsEmpty(progress, "no data were read");
    }

    [TestMethod]
    public void Write_FailingOnOneFile_LeavesNoneOfTheOthers()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "path-tree.png")); // a folder where a figure goes
        var error = Assert.ThrowsExactly<IOException>(() => DecouplingReport.Write(_model, _test.Images.ToDataView(_ml), _folder,
            new DecouplingReportOptions { Embedding = new TsneOptions { Iterations = 50 } }));
        StringAssert.Contains(error.Message, "path-tree.png");
        Assert.IsEmpty(Directory.GetFiles(_folder), "no figure, table or temporary file is left");
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<AnalysisProgress> report) : IProgress<AnalysisProgress>
    {
        public void Report(AnalysisProgress value) => report(value);
    }
}
