using Google.Protobuf;
using Microsoft.ML.Decoupling.Transforms;
using Onnx;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Writes a trained decoupled network and a fitted ML.NET adversarial detector as ONE ONNX model for deployment:
/// image [N, C·H·W] → Score [N, K], Path [N, PathLength], Responses [N, PathLength], PathDeviation [N, gated layers + 1] and AdversarialScore [N, 1].
/// </summary>
/// <remarks>
/// The detector is an ordinary ML.NET chain (for example Concatenate → FastForest, FastTree or LightGbm binary trainer)
/// fitted on the network's Path, Responses, PathDeviation and/or Score columns. It is converted with
/// <c>mlContext.Model.ConvertToOnnx</c> (ai.onnx opset 12 and ai.onnx.ml tree ensembles) and appended to the network's graph
/// (<see cref="DecoupledNetworkOnnxExporter"/>, ai.onnx opset 17): the detector's inputs read the network's Score and Path
/// outputs, its other names are prefixed with <see cref="DetectorNamePrefix"/>, and only the nodes computing the chosen
/// detector output are kept. The network's metadata (layer table, input shape, …) is kept, and
/// <see cref="AdversarialScoreSourceMetadataKey"/> records which detector column the adversarial score is.
/// </remarks>
public static class DetectorOnnxExport
{
    /// <summary><c>metadata_props</c> key of the detector column that the adversarial score is (<c>Probability</c> or <c>Score</c>).</summary>
    public const string AdversarialScoreSourceMetadataKey = "decoupling.adversarial_score.source";

    /// <summary><c>metadata_props</c> key of a sentence describing the adversarial-score output.</summary>
    public const string AdversarialScoreDescriptionMetadataKey = "decoupling.adversarial_score.description";

    /// <summary>Prefix of the detector's node, initializer and value names in the merged graph.</summary>
    public const string DetectorNamePrefix = "detector/";

    /// <summary>
    /// Exports <paramref name="network"/> and <paramref name="detector"/> as one ONNX model at <paramref name="path"/>
    /// (written to a temporary file, then renamed). Input and outputs are named after the network's columns
    /// (<see cref="DecoupledNetworkTransformer.Columns"/>) and <see cref="DetectorOnnxExportOptions.AdversarialScoreName"/>.
    /// </summary>
    /// <param name="mlContext">The context whose model catalog converts the detector.</param>
    /// <param name="network">The trained network; it must have gates (a non-empty path).</param>
    /// <param name="detector">The fitted detector, reading only the network's Path and/or Score columns.</param>
    /// <param name="detectorInput">A view with the schema the detector was fitted on (for example its training data); only
    /// its network columns are used, and no row is read.</param>
    /// <param name="path">The .onnx file to write; its folder must exist.</param>
    /// <param name="options">Which detector output is the adversarial score, and its name; null for the defaults
    /// (the calibrated Probability when the detector has one, otherwise the raw Score).</param>
    /// <exception cref="ArgumentException">The network has no gates; <paramref name="detectorInput"/> lacks the network's columns
    /// or holds them with other sizes; the detector needs other columns, lacks the score column, or cannot be converted to ONNX
    /// (the message names the stage); or <paramref name="path"/> is empty or a folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="NotSupportedException">The detector's ONNX graph uses an operation that cannot be merged.</exception>
    public static void SaveOnnxWithDetector(
        MLContext mlContext,
        DecoupledNetworkTransformer network,
        ITransformer detector,
        IDataView detectorInput,
        string path,
        DetectorOnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(detectorInput);
        options ??= new DetectorOnnxExportOptions();
        string fullPath = IO.OutputFilePath.Resolve(path, nameof(path), IO.OutputFilePath.OnnxFile);
        byte[] bytes = Export(mlContext, network, detector, detectorInput, options).ToByteArray();
        IO.AtomicFile.WriteAllBytes(fullPath, bytes);
    }

    /// <summary>The merged model; everything is checked before the (slower) conversion and merge.</summary>
    internal static ModelProto Export(MLContext mlContext, DecoupledNetworkTransformer network, ITransformer detector, IDataView detectorInput, DetectorOnnxExportOptions options)
    {
        network.ThrowIfDisposed();
        if (string.IsNullOrWhiteSpace(options.AdversarialScoreName))
        {
            throw new ArgumentException($"{nameof(DetectorOnnxExportOptions.AdversarialScoreName)} must not be empty.", nameof(options));
        }

        if (network.PathLayout.PathLength == 0)
        {
            throw new ArgumentException(
                "The network has no gates (its calculation path is empty), so there is no path for a detector to read; "
                + "expected a network trained with gates.",
                nameof(network));
        }

        var columns = DetectorOnnxConversion.NetworkColumnsOf(network, detectorInput);
        var root = DetectorOnnxConversion.RootView(mlContext, columns);
        string scoreColumn = DetectorOnnxConversion.ChooseScoreColumn(detector, root.Schema, options.DetectorScoreColumnName);
        var detectorModel = DetectorOnnxConversion.Convert(mlContext, detector, root, scoreColumn);

        var networkOptions = new OnnxExportOptions { InputName = network.Columns.Feature, ScoreName = network.Columns.Score, PathName = network.Columns.Path, ResponsesName = network.Columns.Responses, PathDeviationName = network.Columns.PathDeviation };
        var networkModel = ModelProto.Parser.ParseFrom(DecoupledNetworkOnnxExporter.Export(network.Network, networkOptions));
        // ML.NET names each graph input after its column; those read the network's outputs of the same name.
        var wiring = columns.ToDictionary(c => c.Name, c => c.Name, StringComparer.Ordinal);
        var merged = OnnxGraphMerger.Append(
            networkModel, detectorModel, wiring, DetectorOnnxConversion.OutputNameOf(detectorModel.Graph, scoreColumn)!, options.AdversarialScoreName, DetectorNamePrefix);

        string description = scoreColumn == DetectorOnnxExportOptions.ProbabilityColumnName
            ? "calibrated probability in [0, 1] that the image is adversarial"
            : $"the detector's '{scoreColumn}' output (for ML.NET's binary trainers an uncalibrated score; higher means more likely adversarial)";
        description = $"{options.AdversarialScoreName} [N, 1]: {description}, from the ML.NET detector's '{scoreColumn}' column ({DetectorOnnxConversion.DescribeStages(detector)}) "
            + $"reading {string.Join(" and ", columns.Select(c => c.Name))}.";
        var output = merged.Graph.Output.Single(o => o.Name == options.AdversarialScoreName);
        output.DocString = description;
        // ML.NET writes the batch dimension as -1; name it like the network's inputs and outputs.
        if (output.Type?.TensorType?.Shape is { Dim.Count: > 0 } shape)
        {
            shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = DecoupledNetworkOnnxExporter.BatchDimension };
        }
        merged.DocString += $" With an adversarial detector: {description}";
        merged.MetadataProps.Add(new StringStringEntryProto { Key = AdversarialScoreSourceMetadataKey, Value = scoreColumn });
        merged.MetadataProps.Add(new StringStringEntryProto { Key = AdversarialScoreDescriptionMetadataKey, Value = description });
        return merged;
    }
}
