using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// A seeded, untrained gated VGG on 16×16 shapes whose gates read their input: the gates' squeeze weights are drawn
/// (the library initialises them to zero, which makes every path the same before training) and each excite bias is
/// set so that its filter is open for about half of the calibration images. It stands in for a trained network in the
/// concept tests: a short training (4 epochs, 400 images, ~20–40 s here) left only 1 of 16 filters per layer dynamic.
/// </summary>
internal static class ResponsiveGatesNetwork
{
    public const int ImageSize = 16;

    public static ShapesDataset Images { get; } = ShapesGenerator.Generate(count: 120, seed: 62, imageSize: ImageSize, noiseStd: 0.05f);

    public static DecoupledNetwork Build(int seed)
    {
        var network = NetworkArchitecture.Vgg("8,M,16,16,16").Build(new ImageShape(1, ImageSize, ImageSize), ShapesGenerator.ClassNames.Count, true, seed: seed);
        network.eval();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var gate in network.Gates)
        {
            var weight = gate.Squeeze.weight!;
            weight.copy_(randn(weight.shape, generator: generator) / Math.Sqrt(weight.shape[1]));
        }

        // One gate at a time, in path order: a gate's bias changes the inputs of the gates after it.
        for (int g = 0; g < network.Gates.Count; g++)
        {
            using var scope = NewDisposeScope();
            var input = tensor(Images.Images.Pixels, new long[] { Images.Count, Images.Images.ImageSize });
            var logits = network.forward(input).GateLogits[g];
            network.Gates[g].Excite.bias!.sub_(logits.kthvalue((Images.Count + 1) / 2, 0).values);
        }

        return network;
    }
}
