using Decoupling.Benchmarks;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests.Benchmarks;

/// <summary>
/// Runs every mode of benchmarks/Decoupling.Benchmarks once, in process through its entry point, on tiny inputs (the
/// committed Fashion-MNIST subset, untrained 8×8 networks, four generated images), writing only to a temporary folder.
/// </summary>
[TestClass]
[DoNotParallelize] // the benchmarks set torch's thread count and the allocator, and write to the console
public sealed class BenchmarkSmokeTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("benchmark-smoke");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void TradeOffAndStepTiming_RunOnce()
    {
        string report = Path.Combine(_folder, "trade-off.md");

        int exitCode = RunBenchmarks(
            "--architectures", "resnet8", "--dense-epochs", "1", "--finetune-epochs", "1", "--settings", "0.05:0.5",
            "--train-limit", "64", "--test-limit", "32", "--step-batches", "1", "--data-dir", TestDatasets.FashionMnistSubsetDirectory, "--output", report);

        Assert.AreEqual(0, exitCode);
        string text = File.ReadAllText(report);
        StringAssert.Contains(text, "| resnet8 | dense baseline |");
        StringAssert.Contains(text, "dense ms / step");
        StringAssert.Contains(text, $"\n\nMachine: ");
        StringAssert.Contains(text, $", {Environment.ProcessorCount} logical CPUs; ");
    }

    [TestMethod]
    public void Inference_RunsOnce()
    {
        string report = Path.Combine(_folder, "inference.md");

        int exitCode = RunBenchmarks(
            "--inference", "--networks", "resnet8,vgg", "--input-size", "8", "--runs", "1", "--warmup", "1", "--images-per-run", "2",
            "--batches", "1,2", "--threads", "1", "--skip-ratios", "1", "--skip-in-onnx", "--fixed-batch", "--ml-net-rows", "2", "--profile", "1", "--profile-by", "layer", "--output", report, "--save-onnx", Path.Combine(_folder, "onnx"));

        Assert.AreEqual(0, exitCode);
        string text = File.ReadAllText(report);
        StringAssert.Contains(text, "| resnet8 | TorchSharp | 1 | 1 | compact |");
        StringAssert.Contains(text, $", {Environment.ProcessorCount} logical CPUs; ");
        // Per-input skipping in ONNX Runtime: VGGs only, batch 1 only.
        StringAssert.Contains(text, "| vgg | ONNX Runtime | 1 | 1 | skip in ONNX (gathered weights) |");
        StringAssert.Contains(text, "| vgg | ONNX Runtime | 1 | 1 | compact + skip in ONNX (gathered weights) |");
        Assert.IsFalse(text.Contains("| resnet8 | ONNX Runtime | 1 | 1 | skip in ONNX", StringComparison.Ordinal));
        StringAssert.Contains(text, "| resnet8 | ONNX Runtime | 2 | 1 | compact, batch fixed |");
        StringAssert.Contains(text, "| vgg | 2 | compact | 1 |");
        Assert.IsFalse(text.Contains("| 2 | 1 | skip in ONNX", StringComparison.Ordinal));
        Assert.HasCount(6, Directory.GetFiles(Path.Combine(_folder, "onnx"), "*.onnx"));
    }

    [TestMethod]
    public void LargerThanMemory_RunsOnce()
    {
        int exitCode = RunBenchmarks(
            "--larger-than-memory", "--images", "4", "--steps", "1", "--batch", "2", "--memory-limit-mb", "0", "--compare-images", "0",
            "--data-dir", Path.Combine(_folder, "images"), "--cache-dir", Path.Combine(_folder, "cache"));

        Assert.AreEqual(0, exitCode);
        Assert.HasCount(4, Directory.GetFiles(Path.Combine(_folder, "images"), "*.jpg", SearchOption.AllDirectories));
    }

    /// <summary>The benchmarks' Main with these arguments; torch's thread count is put back afterwards.</summary>
    private static int RunBenchmarks(params string[] args)
    {
        int threads = get_num_threads();
        try
        {
            return (int)typeof(BenchmarkCommandLine).Assembly.EntryPoint!.Invoke(null, [args])!;
        }
        finally
        {
            set_num_threads(threads);
        }
    }
}
