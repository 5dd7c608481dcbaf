using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class DecoupledNetworkTransformerLifetimeTests
{
    [TestMethod]
    public void DenseBaseline_TrainsThroughTheSamePipelineWithAnEmptyPath()
    {
        var mlContext = new MLContext(seed: 1);
        var data = ShapesGenerator.Generate(count: 64, seed: 3, imageSize: 16).Images.ToDataView(mlContext);
        var options = new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,8,4"), Seed = 1, UseGates = false };
        using var model = mlContext.Transforms.DecoupleNetwork(options).Fit(data);
        Assert.AreEqual(0, model.PathLayout.PathLength);
        var output = model.Transform(data);
        Assert.AreEqual(64, output.GetColumn<uint>(DecouplingColumnNames.PredictedLabel).Count(k => k is >= 1 and <= 6));
        Assert.IsTrue(output.GetColumn<VBuffer<float>>(DecouplingColumnNames.Path).All(p => p.Length == 0));
        Assert.AreEqual(model.DenseFlops, model.FlopsForPath([]));
    }

    [TestMethod]
    public void Dispose_ReleasesOnnxRuntimeAndLeavesNoTemporaryFiles()
    {
        string temp = TestDatasets.CreateTempDirectory("decoupling-mlnet-temp");
        string saved = TestDatasets.CreateTempDirectory("decoupling-saved");
        try
        {
            var mlContext = new MLContext(seed: 1) { TempFilePath = temp };
            var data = ShapesGenerator.Generate(count: 64, seed: 3, imageSize: 16).Images.ToDataView(mlContext);
            var options = new DecoupleNetworkEstimator.Options { Epochs = 1, Architecture = NetworkArchitecture.Vgg("4,8,4"), Seed = 1 };
            var model = mlContext.Transforms.DecoupleNetwork(options).Fit(data);
            string modelFile = model.ModelFilePath;
            Assert.IsTrue(File.Exists(modelFile), "the pipeline runs the exported network from a file the transformer owns");

            string file = Path.Combine(saved, "model.zip");
            mlContext.Model.Save(model, data.Schema, file);
            var loaded = mlContext.Model.Load(file, out _);
            var fromLoaded = loaded.Transform(data).GetColumn<VBuffer<float>>(DecouplingColumnNames.Score).Count();
            Assert.AreEqual(64, fromLoaded);
            Assert.AreEqual(64, model.Transform(data).GetColumn<uint>(DecouplingColumnNames.PredictedLabel).Count());
            model.Dispose();
            (loaded as IDisposable)?.Dispose();
            model.Dispose(); // idempotent
            Assert.IsFalse(File.Exists(modelFile), "the transformer deletes its model file");
            CollectionAssert.AreEqual(Array.Empty<string>(), Directory.EnumerateFileSystemEntries(temp).ToArray(), "ML.NET temporary files left behind");
            Assert.ThrowsExactly<ObjectDisposedException>(() => model.Transform(data));
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
            Directory.Delete(saved, recursive: true);
        }
    }
}
