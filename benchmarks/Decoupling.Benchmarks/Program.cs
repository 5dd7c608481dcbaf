using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text;
using Decoupling.Benchmarks;
using Decoupling.Examples.Shared.CommandLine;
using Decoupling.Examples.Shared.Tables;
using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Training;
using static System.FormattableString;
using static TorchSharp.torch;

// Accuracy / FLOPs trade-off on Fashion-MNIST: a dense baseline, then decoupled networks initialised from it, for each
// architecture and (λs, R) setting; plus the cost of a decoupled training step against a dense one of the same network.
var commandLine = new BenchmarkCommandLine(
    // Inference speed (issue 8): dense / masked / compact / skip, ONNX Runtime and TorchSharp.
    inference => InferenceBenchmark.Run(inference, args, Logger()),
    // Streaming training (issue 11): ResNet-18 on a generated 224×224 image folder larger than the in-memory limit.
    streaming => LargerThanMemoryBenchmark.Run(streaming, args, Logger()),
    // CPU convolution fault (issue 18): float32 convs against float64 in NCHW and channels-last layout.
    layouts => ConvolutionLayoutProbe.Run(layouts, Logger()));
if (!CommandLineProgram.TryRead(commandLine.Command, args, commandLine.Read, out var arguments, out int exitCode))
{
    return exitCode;
}

// Training speed: keep libtorch's freed buffers for the next step (glibc; see NativeAllocator and BENCHMARKS.md).
bool tunedAllocator = !arguments.GlibcDefaults && Microsoft.ML.Decoupling.Native.NativeAllocator.UseTrainingSettings();
Console.WriteLine($"Allocator: {(tunedAllocator ? "training settings (NativeAllocator.UseTrainingSettings)" : "the C library's defaults")}.");

if (FashionMnist.FindDirectory(arguments.DataDirectory) is null)
{
    Console.Error.WriteLine($"Fashion-MNIST was not found (${FashionMnist.DirectoryEnvironmentVariable} or {FashionMnist.DefaultDirectory}); install it with `apt-get install dataset-fashion-mnist`.");
    return 1;
}

var train = FashionMnist.Load(DataSplit.Train, arguments.DataDirectory, arguments.TrainLimit);
var test = FashionMnist.Load(DataSplit.Test, arguments.DataDirectory, arguments.TestLimit);
var shape = new ImageShape(train.Channels, train.Height, train.Width);
int classes = train.ClassNames.Count;
var clock = Stopwatch.StartNew();
void Log(string line) => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {line}");
Log($"Fashion-MNIST: {train.Count} training and {test.Count} test images; torch threads {get_num_threads()}.");
Microsoft.ML.Decoupling.Native.TorchNativeLoader.EnsureTorch();
if (!arguments.OneDnn && !Microsoft.ML.Decoupling.Native.OneDnnSwitch.TrySet(false))
{
    Console.Error.WriteLine("--onednn off: libtorch's oneDNN switch cannot be reached on this platform.");
    return 1;
}

// The timed steps below call the trainer's step directly: make (and report) the convolution verdict first.
var check = Microsoft.ML.Decoupling.Native.ConvolutionSelfCheck.EnsureCorrect(Log);
Log($"convolution self-check: {check.Verdict}; oneDNN {(Microsoft.ML.Decoupling.Native.OneDnnSwitch.IsEnabled == false ? "off" : "on")}, DNNL_MAX_CPU_ISA={Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") ?? "(default)"}.");

var results = new MarkdownTable("network", "run", "epochs", "test accuracy", "mean MACs / image", "FLOPs reduction", "energetic / silent / dynamic", "s / epoch");
var steps = StepTiming.Table();
foreach (string name in arguments.Architectures)
{
    var architecture = NetworkArchitecture.Parse(name, "--architectures");
    if (arguments.StepBatches > 0)
    {
        Log($"step time: {steps.Add(StepTiming.Compare(architecture, shape, classes, train, arguments))}");
    }

    if (arguments.StepsOnly)
    {
        continue;
    }

    // 1. Dense baseline.
    using var dense = architecture.Build(shape, classes, gated: false, seed: arguments.Seed);
    var denseRun = Run(dense, Settings(arguments.DenseEpochs, 0.1, new LossWeights(0, 0, 0, 0)), $"{architecture} dense");
    Log(results.Add(Row(architecture, "dense baseline", arguments.DenseEpochs, dense, denseRun)));

    // 2. The same budget without gates: the dense baseline trained on for the fine-tuning epochs.
    using (var denseMore = architecture.Build(shape, classes, gated: false, seed: arguments.Seed))
    {
        PretrainedWeights.FromNetwork(dense).ApplyTo(denseMore);
        var run = Run(denseMore, Settings(arguments.FineTuneEpochs, arguments.FineTuneLearningRate, new LossWeights(0, 0, 0, 0)), $"{architecture} dense, same budget");
        Log(results.Add(Row(architecture, "dense, same budget", arguments.DenseEpochs + arguments.FineTuneEpochs, denseMore, run)));
    }

    // 3. Decoupled from the dense baseline, for each (λs, R).
    foreach (var (sparsity, ratio) in arguments.Settings)
    {
        using var gated = architecture.Build(shape, classes, gated: true, seed: arguments.Seed);
        PretrainedWeights.FromNetwork(dense).ApplyTo(gated);
        var weights = new LossWeights(arguments.MutualInformationWeight, 1, sparsity, ratio);
        var run = Run(gated, Settings(arguments.FineTuneEpochs, arguments.FineTuneLearningRate, weights), $"{architecture} decoupled λs {sparsity} R {ratio}");
        Log(results.Add(Row(architecture, Invariant($"decoupled λm {arguments.MutualInformationWeight} λs {sparsity} R {ratio}"), arguments.DenseEpochs + arguments.FineTuneEpochs, gated, run)));
    }
}

var report = new StringBuilder();
report.Append(ReportHeader.For(args));
report.AppendLine($"Fashion-MNIST, {train.Count} training / {test.Count} test images, seed {arguments.Seed}, torch threads {get_num_threads()}, total {clock.Elapsed:hh\\:mm\\:ss}.");
report.AppendLine();
report.Append(results.ToString());
if (steps.Rows.Count > 0)
{
    report.AppendLine();
    report.AppendLine($"Training step (forward, losses, backward, SGD update), batch 128, mean over runs of {arguments.StepBatches} batches, median of {StepTiming.Runs} runs per network, dense and decoupled runs alternating; garbage-collection pauses and blocking collections summed over those runs, per step:");
    report.AppendLine();
    report.Append(steps.ToString());
}

Console.WriteLine();
Console.WriteLine(report);
if (arguments.Output is not null)
{
    File.WriteAllText(arguments.Output, report.ToString());
    Log($"Wrote {arguments.Output}.");
}

return 0;

TrainingSettings Settings(int epochs, double rate, LossWeights weights) =>
    new(epochs, 128, rate, 0.9, 1e-4, weights, arguments.Seed);

(IReadOnlyList<EpochReport> Reports, float[] Scores, float[] Paths) Run(DecoupledNetwork network, TrainingSettings settings, string title)
{
    Log($"{title}: training {settings.Epochs} epochs.");
    var trainer = new DecouplingTrainer(settings, report => Log($"{title}: {report}"));
    var reports = trainer.Train(network, train);
    var (scores, paths) = NetworkInference.Run(network, test);
    return (reports, scores, paths);
}

string[] Row(NetworkArchitecture architecture, string run, int epochs, DecoupledNetwork network, (IReadOnlyList<EpochReport> Reports, float[] Scores, float[] Paths) result)
{
    int correct = 0;
    for (int i = 0; i < test.Count; i++)
    {
        var row = result.Scores.AsSpan(i * classes, classes);
        correct += TensorPrimitives.IndexOfMax(row) == test.GetLabel(i) ? 1 : 0;
    }

    double accuracy = (double)correct / test.Count;
    long denseFlops = FlopsCounter.Dense(network);
    var layout = network.PathLayout;
    double meanFlops = denseFlops;
    string states = "—";
    if (network.IsGated)
    {
        double sum = 0;
        for (int i = 0; i < test.Count; i++)
        {
            sum += FlopsCounter.ForPath(network, result.Paths.AsSpan(i * layout.PathLength, layout.PathLength));
        }

        meanFlops = sum / test.Count;
        var total = FilterStateAnalysis.Total(FilterStateAnalysis.PerLayer(result.Paths, test.Count, layout));
        double n = layout.PathLength;
        states = Invariant($"{total.Energetic / n:P0} / {total.Silent / n:P0} / {total.Dynamic / n:P0}");
    }

    double seconds = result.Reports.Average(r => r.Seconds);
    return
    [
        architecture.ToString(), run, Invariant($"{epochs}"), Invariant($"{accuracy:F4}"), Invariant($"{meanFlops / 1e6:F2} M"),
        Invariant($"{denseFlops / meanFlops:F2}×"), states, Invariant($"{seconds:F1}"),
    ];
}

static Action<string> Logger()
{
    var clock = Stopwatch.StartNew();
    return line => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {line}");
}
