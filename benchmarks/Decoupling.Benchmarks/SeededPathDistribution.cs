using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using static TorchSharp.torch;

namespace Decoupling.Benchmarks;

/// <summary>
/// Gives an untrained gated network a chosen path distribution: in every gated layer a share of the filters is silent
/// (closed for every image), a share always open, and the rest open or closed per image (random gate weights, each
/// filter's logit centred on sample images, so about half of these open for a given image).
/// </summary>
internal static class SeededPathDistribution
{
    public static void Apply(DecoupledNetwork network, float[] samplePixels, int sampleCount, double silentShare, double openShare, int seed)
    {
        Microsoft.ML.Decoupling.Native.ConvolutionSelfCheck.EnsureCorrectFor(network.Device);
        using var draws = SeededGenerator.Create(seed);
        var choice = new Random(seed);
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var gate in network.Gates)
        {
            gate.Squeeze.weight!.normal_(0, 1, draws);
            gate.Excite.weight!.normal_(0, 1, draws);
            gate.Squeeze.bias!.zero_();
            gate.Excite.bias!.zero_();
        }

        // One forward pass for all gates: each layer's logits are centred on the images' logits with the earlier layers
        // still random, which keeps a per-image mix in every layer without one pass per layer.
        var logits = network.forward(tensor(samplePixels).view(sampleCount, -1)).GateLogits;
        for (int l = 0; l < network.Gates.Count; l++)
        {
            var gate = network.Gates[l];
            gate.Excite.bias!.sub_(logits[l].mean([0]));
            int[] order = Enumerable.Range(0, gate.Filters).OrderBy(_ => choice.Next()).ToArray();
            int silent = (int)Math.Round(silentShare * gate.Filters);
            int open = (int)Math.Round(openShare * gate.Filters);
            for (int k = 0; k < silent + open && k < order.Length; k++)
            {
                int f = order[k];
                gate.Excite.weight![f].zero_();
                gate.Excite.bias[f] = k < silent ? -1 : 1;
            }
        }
    }
}
