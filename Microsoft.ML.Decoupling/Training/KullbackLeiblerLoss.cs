using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// Lkl (paper Eq. 10): Σ_l KL(z^l ‖ y^l) with y^l = GAP(Y^l), pulling each gate towards its filter's response.
/// The paper leaves the normalisation open; as in the authors' release, both vectors are turned into distributions
/// over the layer's filters with softmax, and the divergence is averaged over all B·N elements (PyTorch's "mean"
/// reduction). Y^l is taken before the channel mask, so a closed gate still sees what its filter would answer.
/// </summary>
internal static class KullbackLeiblerLoss
{
    /// <summary>Computes Lkl from gates z^l and responses y^l ([B, N] each, same order).</summary>
    public static Tensor Compute(IReadOnlyList<Tensor> gates, IReadOnlyList<Tensor> responses)
    {
        if (gates.Count != responses.Count)
        {
            throw new ArgumentException($"Got {gates.Count} gate tensors but {responses.Count} response tensors.", nameof(responses));
        }

        var total = zeros(1, dtype: ScalarType.Float32, device: gates.Count > 0 ? gates[0].device : CPU).squeeze();
        for (int l = 0; l < gates.Count; l++)
        {
            using var scope = NewDisposeScope();
            var logP = gates[l].log_softmax(1);
            var logQ = responses[l].log_softmax(1);
            var kl = (logP.exp() * (logP - logQ)).mean();
            total.add_(kl);
        }

        return total;
    }
}
