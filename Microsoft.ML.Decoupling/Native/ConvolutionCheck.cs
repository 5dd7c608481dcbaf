using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Compares libtorch's float32 CPU convolutions (forward, input and weight gradients), which oneDNN computes, with a
/// float64 reference, which oneDNN does not support and libtorch computes with its own im2col + GEMM kernels.
/// </summary>
/// <remarks>
/// The cases are those where libtorch 2.10's oneDNN kernels were found wrong on an AMD EPYC of family 26 (channel counts
/// that are not a multiple of the SIMD width: 3, 4, 8, 12, 20, 24) plus healthy ones (16, 32, 64). Inputs come from a
/// generator owned by the check, never from torch's process-wide one.
/// </remarks>
internal static class ConvolutionCheck
{
    /// <summary>The convolutions checked; a few milliseconds in all.</summary>
    internal static readonly ConvolutionCheckCase[] Cases =
    [
        new(32, 8, 4, 16, 1),
        new(32, 8, 8, 16, 1),
        new(4, 4, 8, 16, 1),
        new(32, 24, 24, 16, 1),
        new(8, 3, 8, 32, 1),
        new(16, 12, 20, 16, 2),
        new(16, 16, 16, 16, 1),
        new(8, 32, 64, 8, 1),
    ];

    /// <summary>Relative tolerance: healthy float32 kernels differ from float64 by ~1e-5 of the scale, the fault by ~1.</summary>
    internal const double RelativeTolerance = 1e-3;

    private const ulong InputSeed = 20200823; // Any fixed value.

    /// <summary>
    /// How often the cases run: the fault found so far does not hit every case on every call (2 to 7 of 8 per round
    /// were seen), so one passing round is weak evidence.
    /// </summary>
    internal const int Rounds = 3;

    /// <summary>Runs every case <see cref="Rounds"/> times on the CPU; returns the quantities that differ from the reference.</summary>
    public static IReadOnlyList<ConvolutionCheckFailure> Run()
    {
        var failures = new List<ConvolutionCheckFailure>();
        for (int round = 0; round < Rounds; round++)
        {
            failures.AddRange(Compare(Cases, ScalarType.Float32, ScalarType.Float64));
        }

        return failures;
    }

    /// <summary>
    /// Compares every case computed in <paramref name="candidate"/> precision with <paramref name="reference"/> precision;
    /// the inputs are drawn in float64 and rounded to float32 first, so both see the same values.
    /// </summary>
    internal static IReadOnlyList<ConvolutionCheckFailure> Compare(IReadOnlyList<ConvolutionCheckCase> cases, ScalarType candidate, ScalarType reference) =>
        Compare(cases, (c, x, w, g) => Evaluate(c, x, w, g, candidate), (c, x, w, g) => Evaluate(c, x, w, g, reference));

    /// <summary>The comparison with any two implementations (tests inject a faulty one).</summary>
    internal static IReadOnlyList<ConvolutionCheckFailure> Compare(
        IReadOnlyList<ConvolutionCheckCase> cases,
        Func<ConvolutionCheckCase, Tensor, Tensor, Tensor, Tensor[]> candidate,
        Func<ConvolutionCheckCase, Tensor, Tensor, Tensor, Tensor[]> reference)
    {
        string[] quantities = ["output", "input gradient", "weight gradient"];
        var failures = new List<ConvolutionCheckFailure>();
        using var generator = new Generator(InputSeed, CPU);
        using var noGrad = no_grad();
        // The weights' scale (a number divided into a tensor) is a temporary TorchSharp scalar: no collection meanwhile.
        using var collectionPause = ScalarLifetimeGuard.Enter();
        foreach (var c in cases)
        {
            using var scope = NewDisposeScope();
            var input = randn([c.Batch, c.InputChannels, c.Size, c.Size], float64, generator: generator).to(float32).to(float64);
            var weight = (randn([c.OutputChannels, c.InputChannels, 3, 3], float64, generator: generator) / Math.Sqrt(9 * c.InputChannels)).to(float32).to(float64);
            int outSize = ((c.Size + 2 - 3) / c.Stride) + 1;
            var outputGradient = randn([c.Batch, c.OutputChannels, outSize, outSize], float64, generator: generator).to(float32).to(float64);
            var got = candidate(c, input, weight, outputGradient);
            var expected = reference(c, input, weight, outputGradient);
            for (int q = 0; q < quantities.Length; q++)
            {
                var (error, scale) = Deviation(got[q], expected[q]);
                if (!IsWithinTolerance(error, scale))
                {
                    failures.Add(new ConvolutionCheckFailure(c, quantities[q], error, scale));
                }
            }
        }

        return failures;
    }

    /// <summary>
    /// The largest absolute difference of <paramref name="got"/> from <paramref name="expected"/> (NaN when
    /// <paramref name="got"/> holds a non-finite value) and the largest magnitude of <paramref name="expected"/>; tensors
    /// belong to the caller's dispose scope.
    /// </summary>
    internal static (double Error, double Scale) Deviation(Tensor got, Tensor expected)
    {
        var g = got.to(float64);
        var e = expected.to(float64);
        double scale = e.abs().max().item<double>();
        double error = g.isfinite().all().item<bool>() ? (g - e).abs().max().item<double>() : double.NaN;
        return (error, scale);
    }

    /// <summary>Whether a <see cref="Deviation"/> is within <see cref="RelativeTolerance"/> (of the scale, or absolute below 1).</summary>
    internal static bool IsWithinTolerance(double error, double scale) => error <= RelativeTolerance * Math.Max(1.0, scale);

    /// <summary>Output, input gradient and weight gradient of the case in <paramref name="type"/>, as autograd computes them.</summary>
    private static Tensor[] Evaluate(ConvolutionCheckCase c, Tensor input, Tensor weight, Tensor outputGradient, ScalarType type)
    {
        using var enableGrad = enable_grad();
        var x = input.to(type).detach().requires_grad_(true);
        var w = weight.to(type).detach().requires_grad_(true);
        var y = nn.functional.conv2d(x, w, strides: [c.Stride, c.Stride], padding: [1, 1]);
        (y * outputGradient.to(type)).sum().backward();
        return [y.detach(), x.grad!, w.grad!];
    }
}
