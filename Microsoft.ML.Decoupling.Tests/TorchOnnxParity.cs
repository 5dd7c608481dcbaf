using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Compares what ONNX Runtime computed with the TorchSharp network in evaluation mode, without depending on rounding:
/// in ONNX, BatchNorm is folded into the convolution, so a gate logit within rounding of 0 may fall on either side.
/// Path bits whose logit keeps <see cref="GateMargin"/> from 0 must be equal, and they must be at least
/// <see cref="MinimumDecidedShare"/> of all bits; scores are compared for every image whose two paths are equal (an image
/// whose near-zero gate flipped legitimately computes something else).
/// </summary>
internal static class TorchOnnxParity
{
    /// <summary>
    /// Gate logits at least this far from 0 decide their bit in both runtimes: the two runtimes' scores differ by 1e-8 to
    /// 1e-6 in these tests, and gate logits of freshly randomised gates are typically 1e-2 to 1.
    /// </summary>
    public const float GateMargin = 1e-4f;

    /// <summary>The share of path bits that must be decided by a logit beyond <see cref="GateMargin"/>.</summary>
    public const double MinimumDecidedShare = 0.99;

    /// <summary>Asserts parity; returns the number of images whose scores were compared.</summary>
    public static int Assert(DecoupledNetwork network, float[] pixels, int count, float[] onnxScores, float[] onnxPaths, float scoreTolerance)
    {
        var (scores, paths, margins) = RunTorch(network, pixels, count);
        int classes = network.Classes;
        int pathLength = network.Description.PathLayout.PathLength;
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.HasCount(scores.Length, onnxScores);
        Microsoft.VisualStudio.TestTools.UnitTesting.Assert.HasCount(paths.Length, onnxPaths);
        long decided = 0;
        int compared = 0;
        for (int image = 0; image < count; image++)
        {
            bool samePath = true;
            for (int bit = 0; bit < pathLength; bit++)
            {
                long i = ((long)image * pathLength) + bit;
                bool equal = paths[i] == onnxPaths[i];
                samePath &= equal;
                if (margins[i] >= GateMargin)
                {
                    decided++;
                    Microsoft.VisualStudio.TestTools.UnitTesting.Assert.IsTrue(equal,
                        $"image {image}, path bit {bit}: torch {paths[i]}, ONNX {onnxPaths[i]}, although its gate logit is {margins[i]:G3} from 0");
                }
            }

            if (samePath)
            {
                compared++;
                for (int c = 0; c < classes; c++)
                {
                    long i = ((long)image * classes) + c;
                    Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual(scores[i], onnxScores[i], scoreTolerance, $"image {image}, score {c}");
                }
            }
        }

        if (paths.Length > 0)
        {
            Microsoft.VisualStudio.TestTools.UnitTesting.Assert.IsGreaterThanOrEqualTo(MinimumDecidedShare, (double)decided / paths.Length,
                $"only {decided} of {paths.Length} path bits have a gate logit at least {GateMargin} from 0");
        }

        return compared;
    }

    /// <summary>Softmax scores, paths and |gate logit| per path bit, in evaluation mode.</summary>
    internal static (float[] Scores, float[] Paths, float[] Margins) RunTorch(DecoupledNetwork network, float[] pixels, int count, int batchSize = 64)
    {
        int imageSize = network.Input.Size;
        int classes = network.Classes;
        int pathLength = network.Description.PathLayout.PathLength;
        var scores = new float[(long)count * classes];
        var paths = new float[(long)count * pathLength];
        var margins = new float[(long)count * pathLength];
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int size = Math.Min(batchSize, count - start);
                var output = network.forward(tensor(pixels.AsSpan(start * imageSize, size * imageSize).ToArray(), [size, imageSize]));
                output.Logits.softmax(1).data<float>().CopyTo(scores, start * classes);
                if (pathLength > 0)
                {
                    output.Path().data<float>().CopyTo(paths, start * pathLength);
                    cat(output.GateLogits.ToArray(), 1).abs().data<float>().CopyTo(margins, start * pathLength);
                }
            }
        }
        finally
        {
            network.train(wasTraining);
        }

        return (scores, paths, margins);
    }
}
