using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class CustomColumnNamesTests
{
    [TestMethod]
    public void NonDefaultColumnNames_FlowThroughTransformDetectorAndOnnxExport()
    {
        var mlContext = new MLContext(seed: 2);
        var shapes = ShapesGenerator.Generate(count: 96, seed: 4, imageSize: 16).Images;
        var data = mlContext.Transforms.CopyColumns("Pixels", DecouplingColumnNames.Image)
            .Append(mlContext.Transforms.CopyColumns("Shape", DecouplingColumnNames.Label))
            .Append(mlContext.Transforms.DropColumns(DecouplingColumnNames.Image, DecouplingColumnNames.Label))
            .Fit(shapes.ToDataView(mlContext))
            .Transform(shapes.ToDataView(mlContext));
        var options = new DecoupleNetworkEstimator.Options
        {
            FeatureColumnName = "Pixels",
            LabelColumnName = "Shape",
            ScoreColumnName = "Probabilities",
            PredictedLabelColumnName = "Class",
            PathColumnName = "Gates",
            ResponsesColumnName = "FilterResponses",
            PathDeviationColumnName = "Distances",
            Architecture = NetworkArchitecture.Vgg("4,8,4"),
            Epochs = 1,
            Seed = 1,
        };
        using var model = mlContext.Transforms.DecoupleNetwork(options).Fit(data);
        var output = model.Transform(data);
        CollectionAssert.IsSubsetOf(new[] { "Probabilities", "Class", "Gates", "FilterResponses", "Distances" }, output.Schema.Select(c => c.Name).ToArray());
        Assert.IsNull(output.Schema.GetColumnOrNull(DecouplingColumnNames.PathDeviation), "the path-deviation column takes the option's name");
        Assert.IsNull(output.Schema.GetColumnOrNull(DecouplingColumnNames.Responses), "the responses column takes the option's name");
        Assert.AreEqual(8, ((VectorDataViewType)output.Schema["FilterResponses"].Type).Size);
        Assert.IsNull(output.Schema.GetColumnOrNull(DecouplingColumnNames.Score), "ML.NET's own Score column is dropped");
        Assert.AreEqual(8, ((VectorDataViewType)output.Schema["Gates"].Type).Size);
        Assert.AreEqual(96, mlContext.MulticlassClassification.Evaluate(output, "Shape", "Probabilities", "Class").ConfusionMatrix.Counts.Sum(r => r.Sum()));

        string directory = TestDatasets.CreateTempDirectory("decoupling-names");
        try
        {
            string file = Path.Combine(directory, "network.onnx");
            model.SaveOnnx(file);
            using var session = new InferenceSession(file);
            CollectionAssert.AreEqual(new[] { "Pixels" }, session.InputMetadata.Keys.ToArray());
            CollectionAssert.AreEquivalent(new[] { "Probabilities", "Gates", "FilterResponses", "Distances" }, session.OutputMetadata.Keys.ToArray());
            Assert.IsTrue(session.ModelMetadata.CustomMetadataMap.ContainsKey(Onnx.DecoupledNetworkOnnxExporter.PathLayoutMetadataKey));
            var layout = CalculationPathLayout.FromOnnx(file);
            CollectionAssert.AreEqual(model.PathLayout.Layers.ToArray(), layout.Layers.ToArray(), "the layer table reads back from the file");
            File.WriteAllBytes(file, [1, 2, 3]);
            Assert.ThrowsExactly<InvalidDataException>(() => CalculationPathLayout.FromOnnx(file));
            Assert.AreEqual("Microsoft.ML.Decoupling", DecoupledNetworkOnnxExporter.ProducerName);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
