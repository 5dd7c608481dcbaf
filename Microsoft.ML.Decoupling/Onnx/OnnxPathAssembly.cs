using Microsoft.ML.Decoupling.Compaction;
using static Microsoft.ML.Decoupling.Onnx.OnnxGraphWriter;

namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Collects each gated layer's 0/1 mask z [N, F] while the program is written and assembles the path output
/// [N, PathLength] once, at the end. A gated network's path is the masks concatenated. A compact network's bits of
/// removed filters (0) and of layers whose gate was dropped (1) are constants: the kept masks and one [N, 2] column
/// pair (0, 1) are concatenated and a single Gather puts every bit in place (also when a kept mask is wider than its
/// layer's filters: the zero filters of the channel alignment, whose columns it skips). Before, every compact layer placed its bits
/// with a MatMul of its own (or Expanded its constants), a node per layer on the path of every image.
/// </summary>
internal sealed class OnnxPathAssembly
{
    private readonly List<string> _masks = [];
    private readonly List<long> _sources = [];
    private readonly List<bool> _constant = [];
    private long _maskColumns;
    private bool _placed;

    /// <summary>Whether any layer contributed bits.</summary>
    public bool IsEmpty => _sources.Count == 0;

    /// <summary>
    /// A gated layer's mask [N, <paramref name="maskWidth"/>]: its <paramref name="filters"/> bits in order, then (in a
    /// compact graph whose layer keeps every filter and its gate) the zero filters that pad it to the channel alignment,
    /// which are left out of the path.
    /// </summary>
    public void AddGated(string mask, int filters, long maskWidth)
    {
        if (maskWidth < filters)
        {
            throw new ArgumentOutOfRangeException(nameof(maskWidth), maskWidth, $"A mask of {filters} filters is at least {filters} wide.");
        }

        _masks.Add(mask);
        for (int f = 0; f < filters; f++)
        {
            _sources.Add(_maskColumns + f);
            _constant.Add(false);
        }

        _maskColumns += maskWidth;
        _placed |= maskWidth != filters;
    }

    /// <summary>
    /// A compact layer: the mask of its kept filters [N, <paramref name="maskWidth"/>] (null when its gate was dropped; the
    /// columns after the kept filters' belong to appended zero filters and are left out) and where its bits go.
    /// </summary>
    public void AddCompact(string? mask, long maskWidth, CompactPathBits bits)
    {
        _placed = true;
        float[] constants = bits.Constants();
        var keptColumn = new Dictionary<long, long>();
        if (mask is not null)
        {
            _masks.Add(mask);
            for (int j = 0; j < bits.Kept.Length; j++)
            {
                keptColumn[bits.Kept[j]] = _maskColumns + j;
            }

            _maskColumns += maskWidth;
        }

        for (int f = 0; f < bits.Filters; f++)
        {
            bool isConstant = !keptColumn.TryGetValue(f, out long column);
            // Constant bits point at the (0, 1) pair after the masks: offset 0 for a 0, 1 for a 1.
            _sources.Add(isConstant ? (long)constants[f] : column);
            _constant.Add(isConstant);
        }
    }

    /// <summary>Writes the path [N, PathLength] as <paramref name="name"/>; <paramref name="image"/> gives the batch size to constant bits.</summary>
    public string Write(OnnxGraphWriter graph, string image, string name)
    {
        var pieces = new List<string>(_masks);
        bool anyConstant = _constant.Contains(true);
        if (anyConstant)
        {
            string batch = graph.Node("Slice", "path.batch", [graph.Node("Shape", "path.image_shape", [image]), graph.Int64s("path.slice_start", 0), graph.Int64s("path.slice_end", 1)]);
            string shape = graph.Node("Concat", "path.constants_shape", [batch, graph.Int64s("path.constants_width", 2)], Int("axis", 0));
            pieces.Add(graph.Node("Expand", "path.constants", [graph.Floats("path.zero_one", [1, 2], [0f, 1f]), shape]));
        }

        if (!_placed)
        {
            // Every mask is exactly its layer's bits: the path is their concatenation.
            return graph.Node("Concat", name, pieces, Int("axis", 1));
        }

        string all = pieces.Count == 1 ? pieces[0] : graph.Node("Concat", "path.masks", pieces, Int("axis", 1));
        long[] index = _sources.Select((s, i) => _constant[i] ? _maskColumns + s : s).ToArray();
        return graph.Node("Gather", name, [all, graph.Int64s("path.placement", index)], Int("axis", 1));
    }
}
