namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>
/// Multiply-accumulates per image (as <see cref="Analysis.FlopsCounter"/> counts them) of one network in three forms.
/// "Computed" figures are what a graph that multiplies closed filters by 0 does; "per path" figures are the ideal
/// where closed filters are skipped per image (averaged over the calibration images).
/// </summary>
/// <param name="Dense">The dense network (same layers, no gates).</param>
/// <param name="GatedPerPath">The gated network, mean over the calibration paths, closed filters skipped (the paper's figure).</param>
/// <param name="CompactComputed">The compact network as it runs: every kept filter computed, plus its remaining gates.</param>
/// <param name="CompactPerPath">The compact network, mean over the calibration paths, closed filters skipped.</param>
public sealed record CompactionFlops(long Dense, double GatedPerPath, long CompactComputed, double CompactPerPath)
{
    /// <summary>Dense FLOPs over the compact network's computed FLOPs: the reduction a runtime gets without per-input skipping.</summary>
    public double CompactReduction => (double)Dense / CompactComputed;

    /// <summary>Dense FLOPs over the gated network's mean per-path FLOPs.</summary>
    public double GatedReduction => Dense / GatedPerPath;
}
