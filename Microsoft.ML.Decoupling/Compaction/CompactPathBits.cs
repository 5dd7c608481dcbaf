using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>
/// How the filters a compact layer kept map back to its full-length path bits: kept filter j is filter
/// <see cref="Kept"/>[j] of the original layer; a removed filter's bit is a constant 0, and when the gate was dropped
/// every kept filter's bit is a constant 1 (see <see cref="Compaction.NetworkCompaction"/>).
/// </summary>
/// <param name="Filters">Filters of the original layer: the width of its path bits.</param>
/// <param name="Kept">Original index of each kept filter, ascending.</param>
/// <param name="GateDropped">Whether the layer has no gate left (every kept filter is always open).</param>
internal sealed record CompactPathBits(int Filters, long[] Kept, bool GateDropped)
{
    /// <summary>The constant bits: 1 for kept filters of a layer without gate, 0 elsewhere.</summary>
    public float[] Constants()
    {
        var constants = new float[Filters];
        if (GateDropped)
        {
            foreach (long f in Kept)
            {
                constants[f] = 1f;
            }
        }

        return constants;
    }

    /// <summary>[B, Filters] 0/1 gates: z (kept filters, null when the gate was dropped) placed among the constants.</summary>
    public Tensor ExpandGates(Tensor? z, long batch) => Place(z, Constants(), batch);

    /// <summary>[B, Filters] gate logits: g placed among ±1 for the constant bits (so that 1(g &gt; 0) is the path).</summary>
    public Tensor ExpandLogits(Tensor? logits, long batch) => Place(logits, Constants().Select(c => (2 * c) - 1).ToArray(), batch);

    /// <summary>[B, Filters] GAP responses before masking: those of the kept filters, 0 for removed ones.</summary>
    public Tensor ExpandResponses(Tensor responses) => Place(responses, new float[Filters], responses.shape[0]);

    private Tensor Place(Tensor? values, float[] background, long batch)
    {
        var device = values?.device ?? CPU;
        var full = tensor(background, new long[] { 1, Filters }, device: device).expand(batch, Filters).contiguous();
        if (values is null)
        {
            return full;
        }

        using var index = tensor(Kept, device: device);
        return full.index_copy_(1, index, values);
    }
}
