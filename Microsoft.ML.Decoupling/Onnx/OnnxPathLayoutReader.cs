using Microsoft.ML.Decoupling.Modules;
using Onnx;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Reads the layer table (<see cref="CalculationPathLayout"/>) back from an exported network, so that a deployed
/// model's path bits can be mapped to (layer, filter) without the TorchSharp network.
/// </summary>
internal static class OnnxPathLayoutReader
{
    /// <summary>Reads the layer table from an ONNX file written by <see cref="DecoupledNetworkOnnxExporter"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model or has no valid layer table; the message names the file.</exception>
    public static CalculationPathLayout Read(string onnxPath)
    {
        if (!File.Exists(onnxPath))
        {
            throw new FileNotFoundException($"ONNX model '{onnxPath}' was not found.", onnxPath);
        }

        return Read(File.ReadAllBytes(onnxPath), onnxPath);
    }

    /// <summary>Reads the layer table from serialized ONNX model bytes.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model or have no layer table.</exception>
    public static CalculationPathLayout Read(byte[] model) => Read(model, "the ONNX model");

    private static CalculationPathLayout Read(byte[] bytes, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"{source} is not an ONNX model: {ex.Message}", ex);
        }

        var entry = model.MetadataProps.FirstOrDefault(p => p.Key == DecoupledNetworkOnnxExporter.PathLayoutMetadataKey)
            ?? throw new InvalidDataException($"{source} has no '{DecoupledNetworkOnnxExporter.PathLayoutMetadataKey}' entry in metadata_props; was it exported by Microsoft.ML.Decoupling?");
        return CalculationPathLayout.FromJson(entry.Value, $"{source} (metadata '{DecoupledNetworkOnnxExporter.PathLayoutMetadataKey}')");
    }
}
