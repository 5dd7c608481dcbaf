using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;
using Quickstart;

// The product's main job: train a decoupled CNN in an ML.NET pipeline, read its calculation paths, detect FGSM
// samples from them, and save the ML.NET model, the ONNX network, metrics and paths.
ExpectedFailures.ExitOnUnhandled();
QuickstartArguments arguments;
try
{
    arguments = QuickstartArguments.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return ExpectedFailures.BadArguments;
}

// Every result file is checked before the data is read and the network trained.
var output = OutputFolder.Prepare(arguments.Output);

var clock = Stopwatch.StartNew();
var mlContext = new MLContext(seed: arguments.Seed);
mlContext.Log += (_, e) =>
{
    if (e.Source.Contains(nameof(DecoupleNetworkEstimator), StringComparison.Ordinal)
        && e.Kind is Microsoft.ML.Runtime.ChannelMessageKind.Info or Microsoft.ML.Runtime.ChannelMessageKind.Warning)
    {
        string kind = e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning ? "warning: " : string.Empty;
        Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {kind}{e.RawMessage}");
    }
};

string dataset = arguments.Dataset ?? (FashionMnist.FindDirectory() is null ? "shapes" : "fashion-mnist");
if (arguments.Dataset is null && dataset == "shapes")
{
    Console.WriteLine($"Fashion-MNIST was not found in {FashionMnist.DefaultDirectory} (${FashionMnist.DirectoryEnvironmentVariable} is not set).");
    Console.WriteLine("Get it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu) or point FASHION_MNIST_DIR at the IDX files.");
    Console.WriteLine("Running on the synthetic shapes data set instead.");
}

ImageDataset train, test;
int epochs;
if (dataset == "fashion-mnist")
{
    train = FashionMnist.Load(FashionMnistSplit.Train, limit: arguments.TrainLimit);
    test = FashionMnist.Load(FashionMnistSplit.Test);
    epochs = arguments.Epochs ?? 8;
}
else
{
    train = ShapesGenerator.Generate(count: arguments.TrainLimit ?? 4000, seed: arguments.Seed).Images;
    test = ShapesGenerator.Generate(count: 1000, seed: arguments.Seed + 1000).Images;
    epochs = arguments.Epochs ?? 3;
}

Console.WriteLine($"Data: {dataset}, {train.Count} training and {test.Count} test images of {train.Channels}×{train.Height}×{train.Width}.");
// Short-budget settings (see Options.ForShortTraining); the command line may override λm, λs and R.
var options = DecoupleNetworkEstimator.Options.ForShortTraining();
options.ImageChannels = train.Channels;
options.Epochs = epochs;
options.Seed = arguments.Seed;
options.MutualInformationWeight = arguments.MutualInformationWeight ?? options.MutualInformationWeight;
options.SparsityWeight = arguments.SparsityWeight ?? options.SparsityWeight;
options.TargetRatio = arguments.TargetRatio ?? options.TargetRatio;
DecoupleNetworkEstimator estimator;
try
{
    options.Architecture = NetworkArchitecture.Parse(arguments.Architecture, "--architecture");
    estimator = mlContext.Transforms.DecoupleNetwork(options);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return ExpectedFailures.BadArguments;
}

var trainView = train.ToDataView(mlContext);
using var model = estimator.Fit(trainView);

// Accuracy with ML.NET's evaluator; FLOPs and filter states from the test paths.
var scoredTest = model.Transform(test.ToDataView(mlContext));
var classification = mlContext.MulticlassClassification.Evaluate(scoredTest);
var testPaths = scoredTest.GetColumn<VBuffer<float>>(DecouplingColumnNames.Path).Select(p => p.DenseValues().ToArray()).ToList();
double meanFlops = testPaths.Average(p => (double)model.FlopsForPath(p));
var states = FilterStateCounts.FromPaths(testPaths, model.PathLayout.PathLength);

// Adversarial detection on held-out test images (half train the detector, half test it).
int detectionImages = Math.Min(test.Count, 2000);
Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] Attacking {detectionImages} test images with FGSM (ε = {arguments.Epsilon}) and training the path detector...");
var detection = PathAdversarialDetector.Run(mlContext, model, test.Slice(0, detectionImages), arguments.Epsilon, seed: arguments.Seed);

output.Write(OutputFolder.Model, file => mlContext.Model.Save(model, trainView.Schema, file));
output.Write(OutputFolder.Network, file => model.SaveOnnx(file));
Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] Scoring the clean and attacked images for paths.csv...");
var pathRows = DetectionRows.From(mlContext, model, test.Slice(0, detectionImages), detection);
output.Write(OutputFolder.Paths, file => PathsCsv.Write(file, test.ClassNames, pathRows));

long denseFlops = model.DenseFlops;
var metrics = new JsonObject
{
    ["dataset"] = dataset,
    ["train_images"] = train.Count,
    ["test_images"] = test.Count,
    ["epochs"] = epochs,
    ["test_accuracy"] = classification.MicroAccuracy,
    ["dense_flops_per_image"] = denseFlops,
    ["mean_flops_per_image"] = meanFlops,
    ["flops_reduction"] = denseFlops / meanFlops,
    ["path_length"] = model.PathLayout.PathLength,
    ["filter_states"] = new JsonObject { ["energetic"] = states.Energetic, ["silent"] = states.Silent, ["dynamic"] = states.Dynamic },
    ["attack"] = new JsonObject { ["name"] = detection.Attack, ["epsilon"] = detection.Epsilon, ["success_rate"] = detection.AttackSuccessRate },
    ["detector"] = new JsonObject { ["trainer"] = detection.Trainer, ["auc"] = detection.Auc, ["train_rows"] = detection.TrainRows, ["test_rows"] = detection.TestRows },
    ["convolution_self_check"] = Microsoft.ML.Decoupling.Native.ConvolutionSelfCheck.Result?.Verdict.ToString(),
    ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
};
output.Write(OutputFolder.Metrics, file => File.WriteAllText(file, metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));

Console.WriteLine();
Console.WriteLine("| metric                      | value");
Console.WriteLine("|-----------------------------|------------------------------");
Row("test accuracy", classification.MicroAccuracy.ToString("P2", CultureInfo.InvariantCulture));
Row("dense FLOPs / image", denseFlops.ToString("N0", CultureInfo.InvariantCulture));
Row("mean FLOPs / image", meanFlops.ToString("N0", CultureInfo.InvariantCulture));
Row("FLOPs reduction", (denseFlops / meanFlops).ToString("F2", CultureInfo.InvariantCulture) + "×");
Row("path length", model.PathLayout.PathLength.ToString(CultureInfo.InvariantCulture));
Row("filters energetic/silent/dynamic", $"{states.Energetic}/{states.Silent}/{states.Dynamic}");
Row($"FGSM ε={detection.Epsilon} success rate", detection.AttackSuccessRate.ToString("P1", CultureInfo.InvariantCulture));
Row("path detector AUC (FastForest)", detection.Auc.ToString("F3", CultureInfo.InvariantCulture));
Row("wall time", $"{clock.Elapsed.TotalSeconds:F0} s");
Console.WriteLine($"\nWrote model.zip, network.onnx, metrics.json and paths.csv to {output.Directory}");
return 0;

static void Row(string name, string value) => Console.WriteLine($"| {name,-27} | {value}");
