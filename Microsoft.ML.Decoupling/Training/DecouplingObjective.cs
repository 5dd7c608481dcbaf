using Microsoft.ML.Decoupling.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>The total training loss of a decoupled network and its terms for one batch.</summary>
internal static class DecouplingObjective
{
    /// <summary>Computes all terms; the tensors belong to the caller's dispose scope.</summary>
    public static LossTerms Compute(DecoupledNetwork network, DecoupledForwardResult output, Tensor labels, LossWeights weights)
    {
        var crossEntropy = nn.functional.cross_entropy(output.Logits, labels);
        if (output.Gates.Count == 0)
        {
            var none = zeros(1, device: labels.device).squeeze();
            return new LossTerms(crossEntropy, none, none, none, crossEntropy);
        }

        var (mutualInformation, kullbackLeibler, sparsity) = GroupedTerms(network.Program.PathClassifiers, output.Gates, output.Responses, labels, weights.TargetRatio);
        var total = crossEntropy
            + (weights.MutualInformation * mutualInformation)
            + (weights.KullbackLeibler * kullbackLeibler)
            + (weights.Sparsity * sparsity);
        return new LossTerms(crossEntropy, mutualInformation, kullbackLeibler, sparsity, total);
    }

    /// <summary>
    /// Lmi, Lkl and Ls exactly as <see cref="MutualInformationLoss"/>, <see cref="KullbackLeiblerLoss"/> and
    /// <see cref="SparsityLoss"/> define them (sums over layers of per-layer means), evaluated for all layers of the same
    /// width at once on stacked [layers, B, N] tensors: a ResNet-20 has 18 gated layers but three widths, and every tensor
    /// op costs the same fixed overhead in TorchSharp whatever its size.
    /// </summary>
    internal static (Tensor MutualInformation, Tensor KullbackLeibler, Tensor Sparsity) GroupedTerms(
        IReadOnlyList<Linear> classifiers, IReadOnlyList<Tensor> gates, IReadOnlyList<Tensor> responses, Tensor labels, double targetRatio)
    {
        var device = labels.device;
        var mutualInformation = zeros(1, device: device).squeeze();
        var kullbackLeibler = zeros(1, device: device).squeeze();
        var sparsity = zeros(1, device: device).squeeze();
        long batch = labels.shape[0];
        foreach (var group in Enumerable.Range(0, gates.Count).GroupBy(l => gates[l].shape[1]))
        {
            int[] layers = group.ToArray();
            long count = layers.Length;
            var z = stack(layers.Select(l => gates[l]), 0);
            var y = stack(layers.Select(l => responses[l]), 0);
            // W_cla^l z^l for every layer of the group (the path classifiers have no bias).
            var weight = stack(layers.Select(l => classifiers[l].weight!), 0);
            var logProbabilities = bmm(z, weight.transpose(1, 2)).log_softmax(-1);
            var picked = logProbabilities.gather(2, labels.view(1, batch, 1).expand(count, batch, 1));
            mutualInformation = mutualInformation - (picked.mean() * count);

            var logP = z.log_softmax(-1);
            var logQ = y.log_softmax(-1);
            kullbackLeibler = kullbackLeibler + (logP.exp() * (logP - logQ)).mean(new long[] { 1, 2 }).sum();

            sparsity = sparsity + (z.sum(-1).mean(new long[] { 1 }) - (targetRatio * group.Key)).abs().sum();
        }

        return (mutualInformation, kullbackLeibler, sparsity);
    }
}

/// <summary>Scalar loss tensors of one batch.</summary>
internal sealed record LossTerms(Tensor CrossEntropy, Tensor MutualInformation, Tensor KullbackLeibler, Tensor Sparsity, Tensor Total);
