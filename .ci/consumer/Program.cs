using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.Runtime;

// Fashion-MNIST when installed (apt-get install dataset-fashion-mnist), otherwise generated shapes (1×32×32).
string data = args.Length > 0 ? args[0] : FashionMnist.FindDirectory() is null ? "shapes" : "fashion-mnist";
int trainCount = args.Length > 1 ? int.Parse(args[1]) : 10_000;         // CI runs `-- shapes 800 1`
int epochs = args.Length > 2 ? int.Parse(args[2]) : 3;
ImageDataset trainImages = data == "shapes" ? ShapesGenerator.Generate(count: trainCount, seed: 1).Images
    : FashionMnist.Load(DataSplit.Train, limit: trainCount);
ImageDataset testImages = data == "shapes" ? ShapesGenerator.Generate(count: 1000, seed: 2).Images
    : FashionMnist.Load(DataSplit.Test, limit: 2000);

var mlContext = new MLContext(seed: 1);
mlContext.Log += (_, e) =>                                                   // progress: settings, losses, epochs
{
    if (e.Source.Contains(nameof(DecoupleNetworkEstimator)) && e.Kind is ChannelMessageKind.Info or ChannelMessageKind.Warning)
        Console.WriteLine(e.RawMessage);
};
IDataView train = trainImages.ToDataView(mlContext);                         // Image: Vector<float>(C·H·W), Label: key

var options = DecoupleNetworkEstimator.Options.ForShortTraining();           // λm 0.5, λs 0.05, R 0.5 for a few epochs
options.Epochs = epochs;
options.ImageChannels = trainImages.Channels;
using DecoupledNetworkTransformer model = mlContext.Transforms.DecoupleNetwork(options).Fit(train);

IDataView scored = model.Transform(testImages.ToDataView(mlContext));        // Score, PredictedLabel, Path
var metrics = mlContext.MulticlassClassification.Evaluate(scored);
var paths = scored.GetColumn<VBuffer<float>>(DecouplingColumnNames.Path)      // 0/1 per gated filter
    .Select(p => p.DenseValues().ToArray()).ToList();
double flops = paths.Average(p => (double)model.FlopsForPath(p));            // multiply-accumulates per input
Console.WriteLine($"{data}: test accuracy {metrics.MicroAccuracy:F3}, {model.DenseFlops / flops:F2}× fewer FLOPs than dense");

string output = Directory.CreateTempSubdirectory("decoupling-").FullName;
mlContext.Model.Save(model, train.Schema, Path.Combine(output, "model.zip")); // stock ML.NET loads it
model.SaveOnnx(Path.Combine(output, "network.onnx"));                        // outputs Score and Path
ITransformer reloaded = mlContext.Model.Load(Path.Combine(output, "model.zip"), out _);
var reloadedMetrics = mlContext.MulticlassClassification.Evaluate(reloaded.Transform(testImages.ToDataView(mlContext)));
Console.WriteLine($"reloaded model.zip: test accuracy {reloadedMetrics.MicroAccuracy:F3}; model.zip and network.onnx in {output}");
(reloaded as IDisposable)?.Dispose();                                        // ML.NET's ONNX stage deletes its temporary copy
