namespace Microsoft.ML.Decoupling.Training;

/// <summary>The weights of the decoupling losses: L = Lce + λm·Lmi + λk·Lkl + λs·Ls (paper Eq. 12).</summary>
/// <param name="MutualInformation">λm.</param>
/// <param name="KullbackLeibler">λk.</param>
/// <param name="Sparsity">λs.</param>
/// <param name="TargetRatio">R, the target ratio of active filters in Ls (0: plain L1).</param>
public sealed record LossWeights(double MutualInformation, double KullbackLeibler, double Sparsity, double TargetRatio);
