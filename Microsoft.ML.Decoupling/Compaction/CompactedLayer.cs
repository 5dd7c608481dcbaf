namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>What compaction did to one gated layer.</summary>
/// <param name="Layer">Layer name, as in the path layout.</param>
/// <param name="Filters">Filters of the original layer (its bits in the path).</param>
/// <param name="Kept">Filters the compact network computes.</param>
/// <param name="GateDropped">
/// Whether the layer lost its gate because every kept filter was open for every calibration image; its path bits are
/// then constants (1 for kept filters, 0 for removed ones).
/// </param>
/// <param name="AllSilent">
/// Whether every filter was silent over the calibration set; by rule the layer then keeps its first filter and its gate
/// (so that no feature map becomes zero channels wide).
/// </param>
public sealed record CompactedLayer(string Layer, int Filters, int Kept, bool GateDropped, bool AllSilent)
{
    /// <summary>Filters removed because they were silent (never open) over the calibration set.</summary>
    public int Removed => Filters - Kept;
}
