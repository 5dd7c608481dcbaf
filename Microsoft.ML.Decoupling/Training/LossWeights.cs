namespace Microsoft.ML.Decoupling.Training;

/// <summary>The weights of the decoupling losses: L = Lce + λm·Lmi + λk·Lkl + λs·Ls (paper Eq. 12).</summary>
/// <param name="MutualInformation">λm.</param>
/// <param name="KullbackLeibler">λk.</param>
/// <param name="Sparsity">λs.</param>
/// <param name="TargetRatio">R, the target ratio of active filters in Ls (0: plain L1).</param>
internal sealed record LossWeights(double MutualInformation, double KullbackLeibler, double Sparsity, double TargetRatio)
{
    /// <summary>
    /// Epochs over which λs ramps in linearly: 0-based epoch e trains with λs·min(1, e / this), so the first epoch has no
    /// sparsity loss and Lmi shapes the gates before Ls starts closing filters. 0 (default): λs from the first batch, as in
    /// the paper, which is silent on schedules; a ramp is ours (measured in BENCHMARKS.md, "Paths worth having"). A warm-up
    /// longer than the run ends it before λs reaches its full value, as a learning-rate warm-up would.
    /// </summary>
    public int SparsityWarmupEpochs { get; init; }

    /// <summary>The weights 0-based <paramref name="epoch"/> trains with (<see cref="SparsityWarmupEpochs"/> applied).</summary>
    public LossWeights AtEpoch(int epoch) => SparsityWarmupEpochs <= 0 || epoch >= SparsityWarmupEpochs
        ? this
        : this with { Sparsity = Sparsity * epoch / SparsityWarmupEpochs };
}
