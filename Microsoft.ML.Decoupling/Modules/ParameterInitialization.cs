using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// Creates the convs and linear layers of a network with PyTorch's default initialisation (kaiming_uniform with
/// a = √5 for weights, which is U(−1/√fan_in, 1/√fan_in), and U(−1/√fan_in, 1/√fan_in) for biases), drawn from a
/// generator the caller owns; with a null generator, from torch's process-wide one.
/// </summary>
/// <remarks>
/// TorchSharp's layer constructors take no generator: they draw from the process-wide one, which parallel fits would
/// share and which <c>torch.nn.init.uniform_</c> also uses whatever generator it is given (TorchSharp 0.107). So
/// convs are constructed on the meta device, where their default initialisation draws nothing and allocates nothing,
/// linear layers are constructed from given tensors, and the values are drawn here with <c>Tensor.uniform_</c>, in
/// the constructors' order and with their exact bounds: for the same seed, the same values the constructors draw.
/// </remarks>
internal static class ParameterInitialization
{
    /// <summary>The leaky-ReLU slope PyTorch's layers pass to kaiming_uniform.</summary>
    private static readonly double _defaultSlope = Math.Sqrt(5);

    /// <summary>A square 2-D conv of PyTorch's default initialisation.</summary>
    public static Conv2d Conv2d(long inputChannels, long filters, long kernelSize, long stride, long padding, bool bias, Generator? generator)
    {
        var conv = nn.Conv2d(inputChannels, filters, kernelSize, stride: stride, padding: padding, bias: bias, device: META);
        long fanIn = inputChannels * kernelSize * kernelSize;
        // The setters dispose the meta tensors they replace.
        conv.weight = Weight([filters, inputChannels, kernelSize, kernelSize], fanIn, generator);
        if (bias)
        {
            conv.bias = Bias(filters, fanIn, generator);
        }

        return conv;
    }

    /// <summary>A linear layer of PyTorch's default initialisation.</summary>
    public static Linear Linear(long inputs, long outputs, bool bias, Generator? generator)
    {
        var weight = Weight([outputs, inputs], inputs, generator);
        return nn.Linear(weight, bias ? Bias(outputs, inputs, generator) : null);
    }

    /// <summary>kaiming_uniform_(a = √5, fan_in, leaky ReLU), its bound computed as libtorch computes it.</summary>
    private static Parameter Weight(long[] shape, long fanIn, Generator? generator)
    {
        double gain = Math.Sqrt(2.0 / (1 + Math.Pow(_defaultSlope, 2)));
        double bound = Math.Sqrt(3.0) * (gain / Math.Sqrt(fanIn));
        return Uniform(shape, bound, generator);
    }

    private static Parameter Bias(long size, long fanIn, Generator? generator) =>
        Uniform([size], fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0, generator);

    private static Parameter Uniform(long[] shape, double bound, Generator? generator)
    {
        var values = empty(shape);
        values.uniform_(-bound, bound, generator);
        return nn.Parameter(values); // takes over the tensor's handle
    }
}
