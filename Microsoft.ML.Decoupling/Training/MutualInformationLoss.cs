using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// Lmi (paper Eq. 9): Σ_l −log softmax(W_cla^l z^l)[label], averaged over the batch. Maximises the mutual
/// information between each layer's gates and the class, which makes paths input- (class-) dependent.
/// </summary>
internal static class MutualInformationLoss
{
    /// <summary>Computes Lmi from the per-layer classifier logits W_cla^l z^l ([B, K] each) and the labels [B] (int64, 0-based).</summary>
    public static Tensor Compute(IReadOnlyList<Tensor> pathClassifierLogits, Tensor labels)
    {
        var total = zeros(1, dtype: ScalarType.Float32, device: labels.device).squeeze();
        foreach (var logits in pathClassifierLogits)
        {
            using var layer = nn.functional.cross_entropy(logits, labels);
            total.add_(layer);
        }

        return total;
    }
}
