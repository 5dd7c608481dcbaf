using Microsoft.ML.Decoupling.Modules;
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

        var mutualInformation = MutualInformationLoss.Compute(network.ClassifyPaths(output.Gates), labels);
        var kullbackLeibler = KullbackLeiblerLoss.Compute(output.Gates, output.Responses);
        var sparsity = SparsityLoss.Compute(output.Gates, weights.TargetRatio);
        var total = crossEntropy
            + (weights.MutualInformation * mutualInformation)
            + (weights.KullbackLeibler * kullbackLeibler)
            + (weights.Sparsity * sparsity);
        return new LossTerms(crossEntropy, mutualInformation, kullbackLeibler, sparsity, total);
    }
}

/// <summary>Scalar loss tensors of one batch.</summary>
internal sealed record LossTerms(Tensor CrossEntropy, Tensor MutualInformation, Tensor KullbackLeibler, Tensor Sparsity, Tensor Total);
