using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>One optimiser step of the decoupling objective (the trainer's inner loop; the step-time benchmark times it alone).</summary>
internal static class TrainingStep
{
    /// <summary>
    /// One training step in its own dispose scope and no-GC section (<see cref="Native.ScalarLifetimeGuard"/>): forward,
    /// objective, backward, optional gradient clipping, SGD update.
    /// Returns Lce, Lmi, Lkl, Ls, the total, the mean gate value and the number of correct predictions of the batch;
    /// <paramref name="pathQuality"/>, when given, tallies the batch's noise-free paths.
    /// <paramref name="gateNoise"/> draws the gate noise (null: torch's process-wide generator).
    /// </summary>
    /// <exception cref="TrainingDivergedException">A loss term or the gradient norm is not finite (the network is left as it
    /// was before the batch), or the update made a weight non-finite; <paramref name="position"/> (1-based epoch and batch)
    /// goes into the message.</exception>
    internal static float[] Run(
        DecoupledNetwork network, TorchSharp.Modules.SGD optimizer, ReadOnlySpan<float> pixels, ReadOnlySpan<long> labels, LossWeights weights, Device device,
        Generator? gateNoise, double? gradientClipNorm = null, (int Epoch, int Batch) position = default, PathQualityTally? pathQuality = null)
    {
        // No collection while TorchSharp's temporary scalars (BatchNorm's and SGD's included) may still be read natively.
        using var collectionPause = Native.ScalarLifetimeGuard.Enter();
        using var scope = NewDisposeScope();
        int size = labels.Length;
        var input = tensor(pixels.ToArray(), new long[] { size, network.Input.Size }, device: device);
        var target = tensor(labels.ToArray(), new long[] { size }, device: device);

        // The forward pass folds the batch into BatchNorm's running statistics; a diverging batch must not leave them there.
        var buffers = network.buffers().ToArray();
        var savedBuffers = buffers.Select(b => b.clone()).ToArray();
        void ThrowDiverged(TrainingTerm term, double value)
        {
            using (no_grad())
            {
                for (int i = 0; i < buffers.Length; i++)
                {
                    buffers[i].copy_(savedBuffers[i]);
                }
            }

            throw new TrainingDivergedException(position.Epoch, position.Batch, term, value, optimizer.ParamGroups.First().LearningRate);
        }

        optimizer.zero_grad();
        var output = network.Forward(input, gateNoise);
        var terms = DecouplingObjective.Compute(network, output, target, weights);
        float[] statistics;
        using (no_grad())
        {
            // One host transfer per batch for all statistics, made before the update so that a non-finite loss stops it.
            statistics = stack(new[] {
                terms.CrossEntropy, terms.MutualInformation, terms.KullbackLeibler, terms.Sparsity, terms.Total,
                output.Gates.Count == 0 ? ones(1, device: device).squeeze() : output.Path().mean(),
                output.Logits.argmax(1).eq(target).sum().to_type(ScalarType.Float32) }).cpu().data<float>().ToArray();
        }

        pathQuality?.Add(output.GateLogits, target, network.Program.PathClassifiers);

        // Index i of the statistics is term i of TrainingTerm (CrossEntropy … Total).
        for (int i = 0; i <= (int)TrainingTerm.Total; i++)
        {
            if (!float.IsFinite(statistics[i]))
            {
                ThrowDiverged((TrainingTerm)i, statistics[i]);
            }
        }

        terms.Total.backward();
        var parameters = network.parameters().ToArray();
        if (gradientClipNorm is { } maxNorm)
        {
            double norm = nn.utils.clip_grad_norm_(parameters, maxNorm);
            if (!double.IsFinite(norm))
            {
                ThrowDiverged(TrainingTerm.GradientNorm, norm);
            }
        }

        optimizer.step();
        using (no_grad())
        {
            // A finite loss can still give a non-finite update (an overflowing gradient or step), and no epoch, the last
            // one included, may end with a broken network. The sum of all weights is non-finite whenever one weight is (it
            // also overflows for weights near float's limit, which have diverged too): one small reduction per parameter
            // and one transfer, measured at well under 1% of a step.
            if (!float.IsFinite(stack(parameters.Select(p => p.sum())).sum().item<float>()))
            {
                throw new TrainingDivergedException(position.Epoch, position.Batch, TrainingTerm.Weights, double.NaN, optimizer.ParamGroups.First().LearningRate);
            }
        }

        return statistics;
    }
}
