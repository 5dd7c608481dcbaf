using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// Ls (paper Eq. 11): Σ_l | mean_b ‖z^l_b‖₁ − R·N^l |. With R = 0 it is a plain L1 penalty ("learn the sparsity");
/// with R &gt; 0 it steers the mean ratio of active filters of each layer to R. The batch mean inside the absolute
/// value follows the authors' release.
/// </summary>
internal static class SparsityLoss
{
    /// <summary>Computes Ls from gates z^l ([B, N] each) and the target ratio R in [0, 1].</summary>
    public static Tensor Compute(IReadOnlyList<Tensor> gates, double targetRatio)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targetRatio);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetRatio, 1.0);
        var total = zeros(1, dtype: ScalarType.Float32, device: gates.Count > 0 ? gates[0].device : CPU).squeeze();
        foreach (var z in gates)
        {
            using var scope = NewDisposeScope();
            var active = z.sum(1).mean();
            total.add_((active - (targetRatio * z.shape[1])).abs());
        }

        return total;
    }
}
