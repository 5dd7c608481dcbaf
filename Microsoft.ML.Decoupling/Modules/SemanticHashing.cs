using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// Improved Semantic Hashing (paper §3.2, Kaiser &amp; Bengio): turns gate logits into binary filter choices while
/// keeping a gradient.
/// </summary>
internal static class SemanticHashing
{
    /// <summary>
    /// Training-time gate. Adds N(0,1) noise, computes the saturating sigmoid v1 and the step v2, uses v2 for a random
    /// half of the samples and v1 for the rest; the gradient is always v1's (straight-through for the hard half).
    /// </summary>
    /// <param name="logits">Gate logits g, shape [B, N].</param>
    /// <param name="generator">Draws the noise, then the hard rows; null: torch's process-wide generator.</param>
    public static Tensor Train(Tensor logits, Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        // A generator of TorchSharp 0.107 is always a CPU one (see SeededGenerator): its draws are made on the CPU and
        // copied. The process-wide generator draws on the logits' device, as before.
        var device = generator is null ? logits.device : CPU;
        var noise = randn(logits.shape, logits.dtype, device, generator: generator);
        var hardSamples = rand(new long[] { logits.shape[0], 1 }, device: device, generator: generator) < 0.5;
        return Train(logits, noise.to(logits.device), hardSamples.to(logits.device)).MoveToOuterDisposeScope();
    }

    /// <summary>Training-time gate with explicit noise [B, N] and hard-sample selector [B, 1] (bool); used by tests.</summary>
    public static Tensor Train(Tensor logits, Tensor noise, Tensor hardSamples)
    {
        using var scope = NewDisposeScope();
        var noisy = logits + noise;
        var soft = SaturatingSigmoid(noisy);
        Tensor correction;
        using (no_grad())
        {
            // z = v1 + hard·(v2 − v1), the correction computed without gradient: the forward value is v2 on the hard
            // rows (up to one ulp) and v1 on the others, the gradient always v1's (straight-through). Written this way
            // it takes five untracked ops and one tracked add per layer instead of a where over two tracked branches.
            correction = ((noisy > 0).to_type(logits.dtype) - soft) * hardSamples.to_type(logits.dtype);
        }

        return (soft + correction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Evaluation-time gate: z = 1(g &gt; 0). No noise, no gradient. The comparison's 0 is a rooted scalar
    /// (<see cref="Native.RootedScalars"/>): evaluation forward passes run outside any no-GC section.
    /// </summary>
    public static Tensor Evaluate(Tensor logits)
    {
        using var open = logits.gt(Native.RootedScalars.Zero);
        return open.to_type(logits.dtype);
    }

    /// <summary>σ'(x) = max(0, min(1, 1.2·sigmoid(x) − 0.1)).</summary>
    public static Tensor SaturatingSigmoid(Tensor x)
    {
        using var sig = x.sigmoid();
        using var scaled = sig * 1.2 - 0.1;
        return scaled.clamp(0.0, 1.0);
    }
}
