using System.Diagnostics;
using Decoupling.Examples.Shared.CommandLine;
using Interpretation;
using Microsoft.ML;
using Microsoft.ML.Decoupling.Analysis.Concepts;
using Microsoft.ML.Decoupling.Analysis.Report;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;

// Trains a decoupled network and writes the interpretation report (paper §4.2): filter activity, path separability,
// t-SNE of the paths, the decision tree of paths and, on the shapes data set, concepts and occlusion.
var commandLine = new InterpretationCommandLine();
if (!CommandLineProgram.TryRead(commandLine.Command, args, commandLine.Read, out var arguments, out int exitCode))
{
    return exitCode;
}

var clock = Stopwatch.StartNew();
var mlContext = new MLContext(seed: arguments.Seed);
ImageDataset train, test;
IReadOnlyList<ConceptImage>? conceptImages = null;
NetworkArchitecture architecture;
int epochs;
if (arguments.Dataset == "fashion-mnist")
{
    train = FashionMnist.Load(DataSplit.Train, limit: arguments.TrainLimit);
    test = FashionMnist.Load(DataSplit.Test, limit: arguments.TestLimit);
    architecture = NetworkArchitecture.Vgg(VggLayout.Default);
    epochs = arguments.Epochs ?? DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths().Epochs;
}
else
{
    train = ShapesGenerator.Generate(count: arguments.TrainLimit ?? 4000, seed: arguments.Seed).Images;
    var shapes = ShapesGenerator.Generate(count: arguments.TestLimit ?? 1000, seed: arguments.Seed + 1000);
    test = shapes.Images;
    // Concepts need one forward pass per image and part: a few hundred images are plenty.
    conceptImages = ConceptImage.FromShapes(shapes, Math.Min(shapes.Count, 300));
    architecture = NetworkArchitecture.Vgg(VggLayout.Default);
    epochs = arguments.Epochs ?? DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths().Epochs;
}

if (arguments.Ablation)
{
    // The ablation trains from scratch, for the short recipe's 4 epochs unless told otherwise.
    AblationRun.Run(arguments, mlContext, train, test, arguments.Epochs ?? DecoupleNetworkEstimator.Options.ForDynamicPaths().Epochs);
    return 0;
}

using var model = TrainedModel.Train(mlContext, architecture, train, epochs, arguments.Seed, arguments.Checkpoint);
Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] trained{(arguments.Checkpoint is null ? "" : $" (checkpoint {arguments.Checkpoint})")}.");

string lastStep = "";
var progress = new Progress<(string Step, long Done, long? Total)>(p =>
{
    if (p.Step != lastStep || p.Done == p.Total)
    {
        Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {p.Step}: {p.Done}{(p.Total is { } total ? $"/{total}" : "")}");
        lastStep = p.Step;
    }
});
var files = DecouplingReport.Write(
    model,
    test.ToDataView(mlContext),
    arguments.Output,
    new DecouplingReportOptions
    {
        Title = $"Decoupled {model.Network.Architecture} on {arguments.Dataset}",
        ConceptImages = conceptImages,
        // Network dissection's top 0.5 % leaves a pixel or two per receptive field on 32×32 images; a tenth suits parts.
        Concepts = new ConceptOptions { TopQuantile = 0.1 },
        Seed = arguments.Seed,
    },
    progress);
Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] wrote {files.Count} files; open {files[^1]}");
return 0;
