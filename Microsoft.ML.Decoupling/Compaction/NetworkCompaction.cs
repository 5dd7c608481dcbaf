using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>
/// Turns a gated network into a smaller one for inference: filters silent over a calibration set (never open) are
/// removed together with the input channels that read them, and a layer whose remaining filters are all energetic
/// (always open) loses its gate. Unlike the gated graph, which computes every filter and multiplies closed ones by 0,
/// the compact network does less work for every batch size and on every runtime.
/// </summary>
/// <remarks>
/// Rules (the paper describes the filter states, §4.2, not this transformation):
/// <list type="bullet">
/// <item>Channels are cut through max-pools and inception concatenations, as <see cref="FlopsCounter"/> skips them.
/// A residual sum stays dense: a conv feeding one computes only its kept filters and puts them back among zero
/// channels, and the sum's channels are never cut (even where both sides are closed).</item>
/// <item>A layer silent for every calibration image keeps its first filter and its gate.</item>
/// <item>The Path output keeps its full length and layout: removed filters give constant 0 bits and filters of a
/// gate-dropped layer constant 1 bits. An image whose gated path would open a removed filter or close a gate-dropped
/// filter takes another path in the compact network; <see cref="CompactionResult.Evaluation"/> counts them.</item>
/// </list>
/// </remarks>
internal static class NetworkCompaction
{
    /// <summary>Compacts <paramref name="network"/> from the paths of <paramref name="calibrationCount"/> images (count×C·H·W values in [0, 1]).</summary>
    /// <param name="network">A gated network; it is read, not changed.</param>
    /// <param name="calibrationPixels">The calibration images (the training images, typically).</param>
    /// <param name="calibrationCount">Number of calibration images, at least 1.</param>
    /// <param name="evaluationPixels">Optional images (a test set) on which the compact network is compared with the gated one.</param>
    /// <param name="evaluationCount">Number of evaluation images (0 when <paramref name="evaluationPixels"/> is null).</param>
    /// <exception cref="ArgumentException">The network has no gates or is already compact, or the pixel counts do not match the image counts.</exception>
    public static CompactionResult Compact(DecoupledNetwork network, float[] calibrationPixels, int calibrationCount, float[]? evaluationPixels = null, int evaluationCount = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(calibrationPixels);
        if (network.IsCompact)
        {
            throw new ArgumentException($"The network ({network.Architecture}) is already compact; compact the gated network it came from instead.", nameof(network));
        }

        var layout = network.Description.PathLayout;
        if (layout.PathLength == 0)
        {
            throw new ArgumentException($"The network ({network.Architecture}) has no gates: it has no silent filters to remove.", nameof(network));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(calibrationCount, 1);
        PixelInput.Check(network, calibrationPixels, calibrationCount, nameof(calibrationPixels));
        if (evaluationPixels is null ? evaluationCount != 0 : evaluationCount < 1)
        {
            throw new ArgumentException($"{nameof(evaluationCount)} is {evaluationCount}; expected 0 without evaluation images and at least 1 with them.", nameof(evaluationCount));
        }

        if (evaluationPixels is not null)
        {
            PixelInput.Check(network, evaluationPixels, evaluationCount, nameof(evaluationPixels));
        }

        var (_, paths) = NetworkInference.Run(network, calibrationPixels, calibrationCount);
        var plan = CompactionPlan.FromPaths(paths, calibrationCount, layout);
        var compact = NetworkCompactor.Build(network, plan);
        try
        {
            var flops = (
                FlopsCounter.Dense(network.Description),
                MeanPerPath(network.Description, paths, calibrationCount),
                FlopsCounter.Dense(compact.Description) + compact.Description.PathLayout.Layers.Sum(l => l.GateFlops),
                MeanPerPath(compact.Description, paths, calibrationCount));
            var evaluation = evaluationPixels is null ? null : Evaluate(network, compact, plan, evaluationPixels, evaluationCount);
            return new CompactionResult(compact, plan, flops, calibrationCount, evaluation);
        }
        catch
        {
            compact.Dispose();
            throw;
        }
    }

    private static double MeanPerPath(NetworkDescription description, float[] paths, int count)
    {
        int length = description.PathLayout.PathLength;
        double total = 0;
        for (int i = 0; i < count; i++)
        {
            total += FlopsCounter.ForPath(description, paths.AsSpan(i * length, length));
        }

        return total / count;
    }

    private static CompactionEvaluation Evaluate(DecoupledNetwork gated, DecoupledNetwork compact, CompactionPlan plan, float[] pixels, int count)
    {
        var (gatedScores, gatedPaths) = NetworkInference.Run(gated, pixels, count);
        var (compactScores, _) = NetworkInference.Run(compact, pixels, count);
        int classes = gated.Classes, length = plan.Layout.PathLength, changed = 0, agree = 0;
        double maxDifference = 0;
        for (int i = 0; i < count; i++)
        {
            var a = gatedScores.AsSpan(i * classes, classes);
            var b = compactScores.AsSpan(i * classes, classes);
            agree += a.IndexOf(MaxOf(a)) == b.IndexOf(MaxOf(b)) ? 1 : 0;
            if (!plan.Reproduces(gatedPaths.AsSpan(i * length, length)))
            {
                changed++;
                continue;
            }

            for (int c = 0; c < classes; c++)
            {
                maxDifference = Math.Max(maxDifference, Math.Abs(a[c] - b[c]));
            }
        }

        return new CompactionEvaluation(count, changed, (double)agree / count, maxDifference);
    }

    private static float MaxOf(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values)
        {
            max = Math.Max(max, v);
        }

        return max;
    }
}
