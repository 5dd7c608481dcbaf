using Decoupling.Examples.Shared.Tables;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.OnnxRuntime;
using static System.FormattableString;

namespace AdversarialDetection;

/// <summary>
/// Ships network + detector as one ONNX model and scores a few held-out images with ONNX Runtime alone, beside the
/// two-stage ML.NET pipeline (network transformer, then detector) on the same images.
/// </summary>
internal static class Deployment
{
    public static void Run(MLContext mlContext, DecoupledNetworkTransformer network, DetectionSet train, DetectionSet test, string output, Action<string> log)
    {
        var trainView = train.ToDataView(mlContext);
        var detector = Detectors.Create(mlContext, "FastForest", trainView.Schema, DecouplingColumnNames.Path).Fit(trainView);
        string file = Path.Combine(output, "network-with-detector.onnx");
        DetectorOnnxExport.SaveOnnxWithDetector(mlContext, network, detector, trainView, file);
        log($"Wrote {file}: Image → Score, Path, AdversarialScore (the forest's raw score; higher: more likely adversarial).");

        var rows = test.Rows.Take(8).ToArray();
        var pixels = rows.SelectMany(r => r.Image).ToArray();
        using var session = new InferenceSession(file);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [rows.Length, test.ImageSize]);
        using var outputs = session.Run(runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.AdversarialScore]);
        var merged = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        // The same images through the ML.NET pipeline: network transformer, then the detector.
        var images = mlContext.Data.LoadFromEnumerable(rows.Select(r => new ImageRow { Image = r.Image }), ImageRow.Schema(test.ImageSize));
        var twoStage = detector.Transform(network.Transform(images)).GetColumn<float>(DetectorOnnxExportOptions.ScoreColumnName).ToArray();
        var table = new MarkdownTable("image", "true class", "adversarial", "AdversarialScore (one ONNX graph)", "two-stage ML.NET");
        for (int i = 0; i < rows.Length; i++)
        {
            table.Add(Invariant($"{rows[i].PairId}"), test.ClassNames[rows[i].Label], rows[i].IsAdversarial ? "yes" : "no", Invariant($"{merged[i]:F4}"), Invariant($"{twoStage[i]:F4}"));
        }

        Console.Write(table.ToString());
        log($"Largest difference between the merged graph and the two-stage pipeline: {merged.Zip(twoStage).Max(p => Math.Abs(p.First - p.Second)):G3}.");
    }

    private sealed class ImageRow
    {
        public float[] Image { get; set; } = [];

        public static SchemaDefinition Schema(int size)
        {
            var schema = SchemaDefinition.Create(typeof(ImageRow));
            schema[nameof(Image)].ColumnName = DecouplingColumnNames.Image;
            schema[nameof(Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
            return schema;
        }
    }
}
