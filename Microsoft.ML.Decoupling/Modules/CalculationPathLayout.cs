using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// The layer table of a calculation path: gated layers in forward order, each with its filter count and the offset
/// of its bits. The one place that maps a path bit to a (layer, filter) pair.
/// </summary>
public sealed class CalculationPathLayout
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    /// <summary>Creates a layout from gated layers given in forward order with consecutive offsets.</summary>
    public CalculationPathLayout(IReadOnlyList<GatedLayerInfo> layers)
    {
        int expected = 0;
        foreach (var layer in layers)
        {
            if (layer.PathOffset != expected)
            {
                throw new ArgumentException($"Layer '{layer.Name}' starts at path bit {layer.PathOffset}; expected {expected}.", nameof(layers));
            }

            expected += layer.Filters;
        }

        Layers = layers;
        PathLength = expected;
    }

    /// <summary>Gated layers in forward order.</summary>
    public IReadOnlyList<GatedLayerInfo> Layers { get; }

    /// <summary>Total number of bits in a path.</summary>
    public int PathLength { get; }

    /// <summary>Maps a path bit to its layer and filter.</summary>
    public (GatedLayerInfo Layer, int Filter) Locate(int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bit, PathLength);
        var layer = Layers.Last(l => l.PathOffset <= bit);
        return (layer, bit - layer.PathOffset);
    }

    /// <summary>Serialises the table as JSON: <c>{"path_length":…,"layers":[{"name","filters","path_offset","dense_flops","gate_flops"}]}</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(new LayoutDocument(PathLength, Layers), JsonOptions);

    /// <summary>
    /// Reads the layer table back from an ONNX file written by <c>SaveOnnx</c> (its <c>decoupling.path_layout</c>
    /// metadata), so that a deployed model's path bits can be mapped to (layer, filter) without the TorchSharp network.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model or has no valid layer table; the message names the file.</exception>
    public static CalculationPathLayout FromOnnx(string onnxPath) => Onnx.OnnxPathLayoutReader.Read(onnxPath);

    /// <summary>Reads the layer table from serialized ONNX model bytes (see <see cref="FromOnnx(string)"/>).</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model or have no layer table.</exception>
    public static CalculationPathLayout FromOnnx(byte[] model) => Onnx.OnnxPathLayoutReader.Read(model);

    /// <summary>Reads a table written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">
    /// The text is not JSON, lacks <c>path_length</c> or <c>layers</c>, has a layer without a name or with a non-positive
    /// filter count, offsets that are not consecutive, or a <c>path_length</c> other than the sum of the filters.
    /// </exception>
    public static CalculationPathLayout FromJson(string json) => FromJson(json, "the path layout");

    /// <summary>As <see cref="FromJson(string)"/>, with <paramref name="source"/> (e.g. the file) named in every message.</summary>
    internal static CalculationPathLayout FromJson(string json, string source)
    {
        LayoutDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<LayoutDocument>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: the layer table is not valid JSON ({ex.Message})", ex);
        }

        if (document?.PathLength is not int pathLength || document.Layers is not { } layers)
        {
            throw new InvalidDataException($"{source}: the layer table lacks 'path_length' or 'layers'.");
        }

        if (layers.Any(l => l is null || string.IsNullOrEmpty(l.Name) || l.Filters <= 0))
        {
            throw new InvalidDataException($"{source}: the layer table has a layer without a name or with a non-positive filter count.");
        }

        CalculationPathLayout layout;
        try
        {
            layout = new CalculationPathLayout(layers);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }

        return layout.PathLength == pathLength
            ? layout
            : throw new InvalidDataException($"{source}: 'path_length' is {pathLength} but the layers hold {layout.PathLength} bits.");
    }

    // Nullable so that a missing entry is told apart from a zero.
    private sealed record LayoutDocument(
        [property: JsonPropertyName("path_length")] int? PathLength,
        [property: JsonPropertyName("layers")] IReadOnlyList<GatedLayerInfo> Layers);
}
