using System.Diagnostics;
using System.Numerics.Tensors;
using AdversarialDetection;
using Decoupling.Examples.Shared.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;

// The paper's detection protocol (§4.4, Table 6): detectors trained on the calculation paths of 1, 5 and 10 images
// per class and their adversarial copies, tested on held-out images, over several seeds — beside the baselines of the
// same run: the dense network's activation path, the softmax scores, path + scores, and the Mahalanobis detector.
var commandLine = new DetectionCommandLine();
if (!CommandLineProgram.TryRead(commandLine.Command, args, commandLine.Read, out var arguments, out int exitCode))
{
    return exitCode;
}

try
{
    Directory.CreateDirectory(arguments.Output);
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    return CommandLineProgram.FailWithBadArguments($"--output: {ex.Message}");
}

// Training speed: glibc keeps libtorch's freed buffers for the next step (README, 'Training at full speed').
Microsoft.ML.Decoupling.Native.NativeAllocator.UseTrainingSettings();
var clock = Stopwatch.StartNew();
void Log(string line) => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {line}");
var mlContext = new MLContext(seed: arguments.Seed);
mlContext.Log += (_, e) =>
{
    if (e.Source.Contains("DecoupleNetworkEstimator", StringComparison.Ordinal)
        && e.Kind is Microsoft.ML.Runtime.ChannelMessageKind.Info or Microsoft.ML.Runtime.ChannelMessageKind.Warning)
    {
        Log(e.RawMessage);
    }
};

string dataset = arguments.Dataset ?? (FashionMnist.FindDirectory() is null ? "shapes" : "fashion-mnist");
ImageDataset train, test;
try
{
    (train, test) = dataset switch
    {
        // With --train-pool-per-class the whole training split is read: the networks train on the first --train-limit
        // images and the detectors on images after them, which no network saw.
        "fashion-mnist" => (FashionMnist.Load(DataSplit.Train, limit: arguments.TrainPoolPerClass is null ? arguments.TrainLimit : null), FashionMnist.Load(DataSplit.Test)),
        "cifar10" => (CifarBinaryReader.ReadCifar10(arguments.DataDirectory!, DataSplit.Train, arguments.TrainLimit), CifarBinaryReader.ReadCifar10(arguments.DataDirectory!, DataSplit.Test)),
        _ => (ShapesGenerator.Generate(count: arguments.TrainLimit ?? 4000, seed: arguments.Seed).Images, ShapesGenerator.Generate(count: 3000, seed: arguments.Seed + 1000).Images),
    };
}
catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

ImageDataset? unusedTrain = null;
if (arguments.TrainPoolPerClass is not null)
{
    int used = Math.Min(arguments.TrainLimit ?? train.Count, train.Count);
    unusedTrain = train.Slice(used, train.Count - used);
    train = train.Slice(0, used);
}

Log($"Data: {dataset}, {train.Count} training images for the networks, {test.Count} held-out images for the detectors"
    + (unusedTrain is null ? "." : $", and {unusedTrain.Count} training-split images no network trains on for the detectors' training images."));
var (decoupled, dense) = TrainedNetworks.Fit(mlContext, train, arguments, Log);
using (decoupled)
using (dense)
{
    if (arguments.TrainOnly)
    {
        return 0;
    }

    var gatedNetwork = decoupled.Network;
    var denseNetwork = dense.Network;
    int classes = gatedNetwork.Classes;
    var denseWrong = Misclassified(denseNetwork, test);
    double decoupledAccuracy = 1 - (Misclassified(gatedNetwork, test).Count / (double)test.Count);
    double denseAccuracy = 1 - (denseWrong.Count / (double)test.Count);
    Log($"Test accuracy: decoupled {decoupledAccuracy:F4}, dense {denseAccuracy:F4}.");

    // One pool of held-out images that both networks classify right, attacked once per attack; every seed draws its
    // detector training images (nested 1 ⊂ 5 ⊂ 10 per class) and disjoint test images from it.
    // With --train-pool-per-class the training images come from a pool of their own, from the training split's unused
    // rows, placed before the test pool.
    int[] poolIndices;
    ImageDataset pool;
    try
    {
        poolIndices = AdversarialDetectionData.SampleCorrectlyClassified(gatedNetwork, test, arguments.PoolPerClass, arguments.Seed, denseWrong);
        pool = test.Select(poolIndices);
        if (unusedTrain is not null)
        {
            var unusedDenseWrong = Misclassified(denseNetwork, unusedTrain);
            var trainPool = unusedTrain.Select(AdversarialDetectionData.SampleCorrectlyClassified(gatedNetwork, unusedTrain, arguments.TrainPoolPerClass!.Value, arguments.Seed, unusedDenseWrong));
            pool = Concatenate(trainPool, pool);
        }
    }
    catch (ArgumentException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message} Train longer (--epochs) or lower --pool-per-class / --train-pool-per-class.");
        return 1;
    }

    var (_, testPaths) = NetworkInference.Run(gatedNetwork, test);
    int pathLength = gatedNetwork.PathLayout.PathLength;
    double meanFlops = Enumerable.Range(0, test.Count).Average(i => (double)decoupled.FlopsForPath(testPaths.AsSpan(i * pathLength, pathLength)));
    var quality = decoupled.MeasurePathQuality(test.ToDataView(mlContext));
    Log($"Decoupled network over the test set: {decoupled.DenseFlops / meanFlops:F2}× fewer FLOPs than dense; {quality}.");
    var calibration = train.Slice(0, Math.Min(5000, train.Count));
    var densePath = DensePathEncoder.Fit(denseNetwork, calibration);
    var mahalanobis = MahalanobisDetector.Fit(gatedNetwork, calibration);
    var sets = new Dictionary<string, (DetectionSet Gated, DetectionSet Dense)>();
    foreach (string name in arguments.Attacks)
    {
        var attack = AttackCatalog.Create(name);
        var targets = attack.IsTargeted ? AttackTargets.RandomOther(Enumerable.Range(0, pool.Count).Select(pool.GetLabel).ToArray(), classes, arguments.Seed) : null;
        Log($"Attacking {pool.Count} images with {attack} on both networks...");
        var gated = AdversarialDetectionData.Create(gatedNetwork, pool, attack, new DetectionDataOptions { Seed = arguments.Seed, Targets = targets, DeviationCalibration = calibration });
        var denseSet = AdversarialDetectionData.Create(denseNetwork, pool, attack, new DetectionDataOptions { Seed = arguments.Seed, Targets = targets, DensePath = densePath, DeviationCalibration = calibration });
        Log($"{attack}: success {gated.AttackSuccessRate:P1} on the decoupled network, {denseSet.AttackSuccessRate:P1} on the dense one.");
        sets[name] = (gated, denseSet);
    }

    var table = new ResultTable();
    var transfer = new ResultTable();
    int maxPerClass = arguments.ImagesPerClass.Max();
    for (int seed = 0; seed < arguments.Seeds; seed++)
    {
        var (rank, testIds) = Draw(seed);
        foreach (var (name, (gated, denseSet)) in sets)
        {
            var gatedTest = gated.Where(r => testIds.Contains(r.PairId));
            var denseTest = denseSet.Where(r => testIds.Contains(r.PairId));
            foreach (int n in arguments.ImagesPerClass)
            {
                bool InTrain(DetectionRow r) => rank.TryGetValue(r.PairId, out int k) && k < n;
                var gatedTrain = gated.Where(InTrain);
                var denseTrain = denseSet.Where(InTrain);
                foreach (string trainer in arguments.Trainers)
                {
                    Add(table, name, "decoupled path", trainer, n, [DecouplingColumnNames.Path], gatedTrain, gatedTest);
                    Add(table, name, "gate logits", trainer, n, [DecouplingColumnNames.GateLogits], gatedTrain, gatedTest);
                    Add(table, name, "responses", trainer, n, [DecouplingColumnNames.Responses], gatedTrain, gatedTest);
                    Add(table, name, "dense path (a)", trainer, n, [DecouplingColumnNames.Path], denseTrain, denseTest);
                    Add(table, name, "dense responses (a')", trainer, n, [DecouplingColumnNames.Responses], denseTrain, denseTest);
                    Add(table, name, "softmax scores (b)", trainer, n, [DecouplingColumnNames.Score], gatedTrain, gatedTest);
                    Add(table, name, "path + scores (c)", trainer, n, [DecouplingColumnNames.Path, DecouplingColumnNames.Score], gatedTrain, gatedTest);
                    Add(table, name, "responses + scores (e)", trainer, n, [DecouplingColumnNames.Responses, DecouplingColumnNames.Score], gatedTrain, gatedTest);
                    Add(table, name, "responses + deviation", trainer, n, [.. PathAdversarialDetector.DetectorColumns], gatedTrain, gatedTest);
                    Add(table, name, "dense responses + deviation (a'')", trainer, n, [.. PathAdversarialDetector.DetectorColumns], denseTrain, denseTest);
                }

                if (gatedTrain.AdversarialCount > 0)
                {
                    table.Add(name, "penultimate features (d)", "Mahalanobis", n, Detectors.Evaluate(mahalanobis, gatedTrain, gatedTest));
                }
            }

            // Generalisation: a random forest on the decoupled path trained on this attack, tested on every other.
            var trainSet = gated.Where(r => rank.TryGetValue(r.PairId, out int k) && k < maxPerClass);
            foreach (var (other, (otherGated, _)) in sets.Where(s => s.Key != name))
            {
                Add(transfer, $"{name} → {other}", "decoupled path", "FastForest", maxPerClass, [DecouplingColumnNames.Path], trainSet, otherGated.Where(r => testIds.Contains(r.PairId)));
                Add(transfer, $"{name} → {other}", "responses", "FastForest", maxPerClass, [DecouplingColumnNames.Responses], trainSet, otherGated.Where(r => testIds.Contains(r.PairId)));
                Add(transfer, $"{name} → {other}", "responses + deviation", "FastForest", maxPerClass, [.. PathAdversarialDetector.DetectorColumns], trainSet, otherGated.Where(r => testIds.Contains(r.PairId)));
            }
        }

        Log($"Seed {seed + 1}/{arguments.Seeds} done.");
    }

    string perClassList = string.Join("/", arguments.ImagesPerClass);
    string report = $"""
        Command: `dotnet run -c Release --project examples/AdversarialDetection -- {string.Join(' ', args)}`

        {dataset}: networks trained on {train.Count} images for {arguments.Epochs} epochs; detectors trained on {perClassList} clean images per class
        (and their successful adversarial copies) and tested on {arguments.TestPerClass} other held-out images per class (and theirs), drawn from a pool of
        {arguments.PoolPerClass} test images per class that both networks classify right{(arguments.TrainPoolPerClass is { } t ? $"; the training images come from {t} per class of the training split's images after the first {train.Count} (no network trained on them)" : string.Empty)}; {arguments.Seeds} seeds, mean ± std. Total {clock.Elapsed:hh\:mm\:ss}.

        {table.ToMarkdown(arguments.ImagesPerClass)}
        Detector trained on one attack, tested on another ({maxPerClass} images per class):

        {transfer.ToMarkdown([maxPerClass])}
        """;
    Console.WriteLine();
    Console.WriteLine(report);
    var (firstRank, firstTest) = Draw(0);
    var deployed = sets[arguments.Attacks[0]].Gated;
    Deployment.Run(mlContext, decoupled, deployed.Where(r => firstRank.ContainsKey(r.PairId)), deployed.Where(r => firstTest.Contains(r.PairId)), arguments.Output, Log);
    File.WriteAllText(Path.Combine(arguments.Output, "results.md"), report);
    Summary.Write(Path.Combine(arguments.Output, "summary.json"), args, decoupledAccuracy, denseAccuracy, decoupled.DenseFlops / meanFlops, quality, table, transfer);
    Log($"Wrote {Path.Combine(arguments.Output, "results.md")}.");
}

return 0;

(Dictionary<int, int> Rank, HashSet<int> TestIds) Draw(int seed)
{
    var random = new Random(seed);
    var rank = new Dictionary<int, int>();
    var testIds = new HashSet<int>();
    int maxPerClass = arguments.ImagesPerClass.Max();
    int classes = test.ClassNames.Count;
    for (int c = 0; c < classes; c++)
    {
        if (arguments.TrainPoolPerClass is { } trainPerClass)
        {
            // Training images from the training split's pool (first), test images from the test pool (after it).
            var trainIds = Enumerable.Range(c * trainPerClass, trainPerClass).ToArray();
            random.Shuffle(trainIds);
            for (int k = 0; k < maxPerClass; k++)
            {
                rank[trainIds[k]] = k;
            }

            var poolTestIds = Enumerable.Range((classes * trainPerClass) + (c * arguments.PoolPerClass), arguments.PoolPerClass).ToArray();
            random.Shuffle(poolTestIds);
            testIds.UnionWith(poolTestIds.Take(arguments.TestPerClass));
            continue;
        }

        var ids = Enumerable.Range(c * arguments.PoolPerClass, arguments.PoolPerClass).ToArray();
        random.Shuffle(ids);
        for (int k = 0; k < maxPerClass; k++)
        {
            rank[ids[k]] = k;
        }

        testIds.UnionWith(ids.Skip(maxPerClass).Take(arguments.TestPerClass));
    }

    return (rank, testIds);
}

void Add(ResultTable results, string attack, string features, string trainer, int n, string[] columns, DetectionSet trainSet, DetectionSet testSet)
{
    if (trainSet.AdversarialCount == 0 || testSet.AdversarialCount == 0)
    {
        Log($"{attack}, {features}, {n}/class: no successful attack to train or test on; skipped.");
        return;
    }

    results.Add(attack, features, trainer, n, Detectors.Evaluate(mlContext, trainer, columns, trainSet, testSet));
}

static ImageDataset Concatenate(ImageDataset first, ImageDataset second)
{
    var both = new[] { first, second };
    float[] pixels = [.. both.SelectMany(d => Enumerable.Range(0, d.Count).SelectMany(i => d.GetImage(i).ToArray()))];
    int[] labels = [.. both.SelectMany(d => Enumerable.Range(0, d.Count).Select(d.GetLabel))];
    return new ImageDataset(pixels, labels, first.Channels, first.Height, first.Width, first.ClassNames);
}

static HashSet<int> Misclassified(DecoupledNetwork network, ImageDataset images)
{
    var (scores, _) = NetworkInference.Run(network, images);
    var wrong = new HashSet<int>();
    for (int i = 0; i < images.Count; i++)
    {
        if (TensorPrimitives.IndexOfMax(scores.AsSpan(i * network.Classes, network.Classes)) != images.GetLabel(i))
        {
            wrong.Add(i);
        }
    }

    return wrong;
}
