using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Makes every path bit of a network depend on the image, without training: training leaves few gates input-dependent.
/// </summary>
internal static class InputDependentGates
{
    /// <summary>
    /// Random gate weights, each gate's logits then centred on <paramref name="pixels"/>, so that each image's mask reaches
    /// that image's channels; a filter whose logit does not depend on the image is opened.
    /// </summary>
    public static void Apply(DecoupledNetwork network, float[] pixels, int count, int seed)
    {
        Native.ConvolutionSelfCheck.EnsureCorrectFor(network.Device);
        using var draws = SeededGenerator.Create(seed);
        network.eval();
        for (int gate = 0; gate < network.Gates.Count; gate++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            ArchitectureControllingModule module = network.Gates[gate];
            module.Squeeze.weight!.normal_(0, 1, draws);
            module.Excite.weight!.normal_(0, 1, draws); // W2 starts at zero (all gates open); randomise it too
            module.Squeeze.bias!.zero_();
            module.Excite.bias!.zero_();
            var logits = network.forward(tensor(pixels).view(count, -1)).GateLogits[gate];
            module.Excite.bias.sub_(logits.mean([0]));
            // A filter whose logit does not depend on the image (all its hidden units dead) would sit exactly at 0 after
            // centring, a coin toss in either runtime: open it instead.
            var constant = (logits.amax([0]) - logits.amin([0])) < 10 * TorchOnnxParity.GateMargin;
            module.Excite.bias.add_(constant.to_type(ScalarType.Float32));
        }
    }
}
