using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>
/// Which filters of each gated layer a compact network keeps, and which layers lose their gate, decided from the
/// calculation paths of a calibration set: silent filters (never open) go, and a layer whose remaining filters are all
/// energetic (always open) needs no gate.
/// </summary>
internal sealed class CompactionPlan
{
    private CompactionPlan(CalculationPathLayout layout, IReadOnlyList<CompactPathBits> layers, IReadOnlyList<(string Layer, int Filters, int Kept, bool GateDropped, bool AllSilent)> report)
    {
        Layout = layout;
        Layers = layers;
        Report = report;
        _removed = new bool[layout.PathLength];
        _constantOpen = new bool[layout.PathLength];
        foreach (var (layer, bits) in layout.Layers.Zip(layers))
        {
            var constants = bits.Constants();
            for (int f = 0; f < layer.Filters; f++)
            {
                _removed[layer.PathOffset + f] = Array.IndexOf(bits.Kept, (long)f) < 0;
                _constantOpen[layer.PathOffset + f] = constants[f] > 0.5f;
            }
        }
    }

    /// <summary>Per path bit: whether its filter was removed.</summary>
    private readonly bool[] _removed;

    /// <summary>Per path bit: whether its filter is kept without a gate (always open).</summary>
    private readonly bool[] _constantOpen;

    public CalculationPathLayout Layout { get; }

    /// <summary>Per gated layer in path order: kept filters and whether the gate was dropped.</summary>
    public IReadOnlyList<CompactPathBits> Layers { get; }

    /// <summary>The same as public figures.</summary>
    public IReadOnlyList<(string Layer, int Filters, int Kept, bool GateDropped, bool AllSilent)> Report { get; }

    /// <summary>Plans the compaction from <paramref name="count"/> calibration paths stored row after row.</summary>
    public static CompactionPlan FromPaths(ReadOnlySpan<float> paths, int count, CalculationPathLayout layout)
    {
        int[] onCounts = FilterStateAnalysis.OnCounts(paths, count, layout.PathLength);
        var layers = new List<CompactPathBits>();
        var report = new List<(string Layer, int Filters, int Kept, bool GateDropped, bool AllSilent)>();
        foreach (var layer in layout.Layers)
        {
            var counts = onCounts.AsSpan(layer.PathOffset, layer.Filters);
            var kept = new List<long>();
            for (int f = 0; f < counts.Length; f++)
            {
                if (counts[f] > 0)
                {
                    kept.Add(f);
                }
            }

            // Our rule (the paper is silent): a layer silent for every image keeps its first filter and its gate, so
            // every feature map keeps at least one channel and the layer's path bits still come from its gate.
            bool allSilent = kept.Count == 0;
            if (allSilent)
            {
                kept.Add(0);
            }

            bool gateDropped = !allSilent;
            foreach (long f in kept)
            {
                gateDropped &= counts[(int)f] == count;
            }

            layers.Add(new CompactPathBits(layer.Filters, kept.ToArray(), gateDropped));
            report.Add((layer.Name, layer.Filters, kept.Count, gateDropped, allSilent));
        }

        return new CompactionPlan(layout, layers, report);
    }

    /// <summary>
    /// Whether the compact network gives the same path as the gated one for an image whose gated path is
    /// <paramref name="path"/>: no removed filter opens and no filter of a gate-dropped layer closes. (A kept filter of
    /// an all-silent layer keeps its gate, so it never differs.)
    /// </summary>
    public bool Reproduces(ReadOnlySpan<float> path)
    {
        if (path.Length != Layout.PathLength)
        {
            throw new ArgumentException($"The path has {path.Length} values; this network's paths have {Layout.PathLength}.", nameof(path));
        }

        for (int bit = 0; bit < path.Length; bit++)
        {
            bool open = path[bit] > 0.5f;
            if ((open && _removed[bit]) || (!open && _constantOpen[bit]))
            {
                return false;
            }
        }

        return true;
    }
}
