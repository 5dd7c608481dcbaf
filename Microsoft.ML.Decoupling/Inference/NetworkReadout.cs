using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Inference;

/// <summary>
/// Everything an evaluation-mode forward pass can tell about a batch of images, read out on the host: softmax scores,
/// the calculation path, the gate logits and pre-gate responses of the gated layers, the penultimate features (the
/// head's input) and, on request, GAP(Y) of named conv units.
/// </summary>
internal sealed class NetworkReadout
{
    private NetworkReadout(int count, int classes, int pathLength, int features, int responses)
    {
        Count = count;
        Scores = new float[(long)count * classes];
        Paths = new float[(long)count * pathLength];
        GateLogits = new float[(long)count * pathLength];
        GatedResponses = new float[(long)count * pathLength];
        Features = new float[(long)count * features];
        Responses = new float[(long)count * responses];
    }

    public int Count { get; }

    /// <summary>Softmax scores, count×K.</summary>
    public float[] Scores { get; }

    /// <summary>Calculation paths, count×PathLength (empty rows for a network without gates).</summary>
    public float[] Paths { get; }

    /// <summary>Gate logits g of the gated layers (the path is 1(g &gt; 0)), count×PathLength, path order.</summary>
    public float[] GateLogits { get; }

    /// <summary>GAP(Y) of the gated layers before their gates (the y of Lkl), count×PathLength, path order.</summary>
    public float[] GatedResponses { get; }

    /// <summary>Penultimate features, count×C of the last feature map.</summary>
    public float[] Features { get; }

    /// <summary>GAP(Y) of the requested units concatenated in the requested order, count×(their filters).</summary>
    public float[] Responses { get; }

    /// <summary>Runs <paramref name="network"/> in evaluation mode over count×C·H·W <paramref name="pixels"/>.</summary>
    /// <param name="network">The network (its mode is restored).</param>
    /// <param name="pixels">The images.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="units">Names of the conv units whose GAP responses to read (see <see cref="CalculationPathLayout"/> names); null for none.</param>
    public static NetworkReadout Run(DecoupledNetwork network, float[] pixels, int count, IReadOnlyList<string>? units = null, int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        PixelInput.Check(network, pixels, count, nameof(pixels));
        int imageSize = network.Input.Size;

        Native.ConvolutionSelfCheck.EnsureCorrectFor(network.Device);
        int classes = network.Classes;
        int pathLength = network.Description.PathLayout.PathLength;
        int featureCount = network.Description.HeadInputs;
        NetworkReadout? result = null;
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < count; start += batchSize)
            {
                int size = Math.Min(batchSize, count - start);
                using var scope = NewDisposeScope();
                var input = tensor(pixels.AsSpan(start * imageSize, size * imageSize).ToArray(), new long[] { size, imageSize }, device: network.Device);
                var record = new DecoupledForwardResult.Recorder(captureUnitResponses: units is { Count: > 0 });
                var output = network.Forward(input, null, record);
                var responses = units is { Count: > 0 } ? cat(units.Select(u => Find(record, u)).ToArray(), 1) : null;
                result ??= new NetworkReadout(count, classes, pathLength, featureCount, responses is null ? 0 : (int)responses.shape[1]);
                output.Logits.softmax(1).cpu().data<float>().CopyTo(result.Scores, start * classes);
                record.Features!.cpu().data<float>().CopyTo(result.Features, start * featureCount);
                if (pathLength > 0)
                {
                    output.Path().cpu().data<float>().CopyTo(result.Paths, start * pathLength);
                    cat(output.GateLogits.ToArray(), 1).cpu().data<float>().CopyTo(result.GateLogits, start * pathLength);
                    cat(output.Responses.ToArray(), 1).cpu().data<float>().CopyTo(result.GatedResponses, start * pathLength);
                }

                responses?.cpu().data<float>().CopyTo(result.Responses, start * (int)responses.shape[1]);
            }
        }
        finally
        {
            network.train(wasTraining);
        }

        return result ?? new NetworkReadout(0, classes, pathLength, featureCount, 0);
    }

    private static Tensor Find(DecoupledForwardResult.Recorder record, string unit)
    {
        foreach (var (name, response) in record.UnitResponses)
        {
            if (name == unit)
            {
                return response;
            }
        }

        throw new ArgumentException($"The network has no conv unit named '{unit}'; its units are {string.Join(", ", record.UnitResponses.Select(r => r.Name))}.", nameof(unit));
    }
}
