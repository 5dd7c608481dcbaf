using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// The layer table of a calculation path: gated layers in forward order, each with its filter count and the offset
/// of its bits. The one place that maps a path bit to a (layer, filter) pair.
/// </summary>
public sealed class CalculationPathLayout
{
    /// <summary>The ONNX <c>metadata_props</c> key under which the layer table is stored as JSON.</summary>
    public const string OnnxMetadataKey = "decoupling.path_layout";

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

    /// <summary>Reads a table written by <see cref="ToJson"/>.</summary>
    public static CalculationPathLayout FromJson(string json)
    {
        var document = JsonSerializer.Deserialize<LayoutDocument>(json, JsonOptions)
            ?? throw new InvalidDataException("The path layout JSON is empty.");
        return new CalculationPathLayout(document.Layers);
    }

    private sealed record LayoutDocument(
        [property: JsonPropertyName("path_length")] int PathLength,
        [property: JsonPropertyName("layers")] IReadOnlyList<GatedLayerInfo> Layers);
}
