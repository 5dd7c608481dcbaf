using Decoupling.Examples.Shared.Tables;
using Microsoft.ML.Decoupling.Native;
using static TorchSharp.torch;

namespace Decoupling.Benchmarks;

/// <summary>
/// Compares libtorch's float32 CPU convolutions with a float64 reference (libtorch's own kernels; oneDNN has no float64)
/// in PyTorch's NCHW layout and in channels-last (NHWC) layout, for training (output, input and weight gradients) and
/// inference (output under no_grad): the self-check's cases, a ResNet-18 projection shortcut (1×1, stride 2, 3×3
/// input) and seeded random shapes (kernel 1/3/5/7, stride 1/2, 1–384 channels, 1–20 pixels). Channels-last inputs are
/// made by permuting to NHWC and back; a one-channel input gets a zero second channel (and zero weights for it), since
/// PyTorch takes a one-channel tensor for NCHW. Nothing of this is used by the library: it records why channels-last
/// is not a way around the CPU convolution fault (BENCHMARKS.md).
/// </summary>
internal static class ConvolutionLayoutProbe
{
    public static int Run(ConvolutionLayoutArguments arguments, Action<string> log)
    {
        TorchNativeLoader.EnsureTorch();
        log($"DNNL_MAX_CPU_ISA={Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") ?? "(default)"}, {ConvolutionSelfCheck.ModeVariable}={Environment.GetEnvironmentVariable(ConvolutionSelfCheck.ModeVariable) ?? "(auto)"}, torch threads {get_num_threads()}.");
        var shapes = Shapes(arguments.RandomShapes, arguments.Seed);
        var table = new MarkdownTable("layout", "shapes × rounds", "training: failed shapes", "inference: failed shapes", "examples");
        foreach (string layout in arguments.Layouts)
        {
            bool channelsLast = layout == "channels-last";
            var trainingFailures = new HashSet<int>();
            var inferenceFailures = new HashSet<int>();
            using var generator = new Generator((ulong)arguments.Seed, CPU);
            for (int round = 0; round < arguments.Rounds; round++)
            {
                for (int i = 0; i < shapes.Count; i++)
                {
                    using var scope = NewDisposeScope();
                    var s = shapes[i];
                    var x = randn([s.Batch, s.Inputs, s.Size, s.Size], float64, generator: generator).to(float32).to(float64);
                    var w = (randn([s.Filters, s.Inputs, s.Kernel, s.Kernel], float64, generator: generator) / Math.Sqrt(s.Inputs * s.Kernel * s.Kernel)).to(float32).to(float64);
                    var reference = Training(s, x, w, float64, channelsLast: false);
                    var candidate = Training(s, x, w, float32, channelsLast);
                    if (Enumerable.Range(0, 3).Any(q => !Close(candidate[q], reference[q])))
                    {
                        trainingFailures.Add(i);
                    }

                    using (no_grad())
                    {
                        if (!Close(Convolve(s, x.to(float32), w.to(float32), channelsLast), reference[0]))
                        {
                            inferenceFailures.Add(i);
                        }
                    }
                }
            }

            string examples = string.Join("; ", trainingFailures.Union(inferenceFailures).Take(3).Select(i => shapes[i].ToString()));
            table.Add(layout, $"{shapes.Count} × {arguments.Rounds}", trainingFailures.Count.ToString(), inferenceFailures.Count.ToString(), examples.Length == 0 ? "–" : examples);
            log($"{layout}: {trainingFailures.Count} of {shapes.Count} shapes wrong in training, {inferenceFailures.Count} in inference.");
        }

        Console.WriteLine(table.ToString());
        return 0;
    }

    private static List<Shape> Shapes(int random, int seed)
    {
        var shapes = ConvolutionCheck.Cases.Select(c => new Shape(c.Batch, c.InputChannels, c.OutputChannels, 3, c.Stride, 1, c.Size)).ToList();
        shapes.Add(new Shape(6, 256, 512, 1, 2, 0, 3));
        shapes.Add(new Shape(32, 1, 8, 3, 1, 1, 16));
        var draw = new Random(seed);
        int[] kernels = [1, 3, 5, 7];
        while (shapes.Count < ConvolutionCheck.Cases.Length + 2 + random)
        {
            int kernel = kernels[draw.Next(kernels.Length)];
            int stride = draw.Next(1, 3);
            int padding = draw.Next(2) == 0 ? 0 : kernel / 2;
            int size = draw.Next(1, 21);
            if (size + (2 * padding) < kernel)
            {
                continue;
            }

            int inputs = draw.Next(4) == 0 ? draw.Next(1, 4) : draw.Next(1, 97);
            int filters = draw.Next(1, 97);
            int widen = draw.Next(4) == 0 ? 4 : 1;
            shapes.Add(new Shape(draw.Next(1, 33), inputs * widen, filters * widen, kernel, stride, padding, size));
        }

        return shapes;
    }

    private static Tensor[] Training(Shape s, Tensor input, Tensor weight, ScalarType type, bool channelsLast)
    {
        using var enableGrad = enable_grad();
        var x = input.to(type).detach().requires_grad_(true);
        var w = weight.to(type).detach().requires_grad_(true);
        var y = Convolve(s, x, w, channelsLast);
        (y * y).sum().backward();
        return [y.detach(), x.grad!, w.grad!];
    }

    private static Tensor Convolve(Shape s, Tensor x, Tensor w, bool channelsLast)
    {
        if (channelsLast)
        {
            if (s.Inputs == 1)
            {
                x = cat([x, zeros_like(x)], 1);
                w = cat([w, zeros_like(w)], 1);
            }

            x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        }

        return nn.functional.conv2d(x, w, null, [s.Stride, s.Stride], [s.Padding, s.Padding]);
    }

    private static bool Close(Tensor candidate, Tensor reference)
    {
        var (error, scale) = ConvolutionCheck.Deviation(candidate, reference);
        return ConvolutionCheck.IsWithinTolerance(error, scale);
    }

    private sealed record Shape(int Batch, int Inputs, int Filters, int Kernel, int Stride, int Padding, int Size)
    {
        public override string ToString() => $"batch {Batch}, {Inputs}→{Filters}, {Kernel}×{Kernel} stride {Stride} pad {Padding}, {Size}×{Size}";
    }
}
