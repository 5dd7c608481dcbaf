using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>Optimisation settings: SGD with momentum, lr divided by 10 at 50% and 75% of the epochs (paper §4).</summary>
/// <param name="Epochs">Number of epochs.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="LearningRate">Initial learning rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">L2 weight decay on every parameter, gates included (authors' release).</param>
/// <param name="Weights">Decoupling loss weights (a weight of 0 switches its loss off).</param>
/// <param name="Seed">
/// Seed of the shuffling, the augmentation, the gate noise and the hard/soft choice. Each epoch draws them from generators
/// of its own seeded from (seed, epoch), never from torch's process-wide generator, so a run resumed from a checkpoint
/// continues exactly like an uninterrupted one and runs side by side do not disturb each other. Parameter initialisation
/// is seeded by whoever builds the network (see <see cref="Modules.NetworkArchitecture.Build"/>).
/// </param>
internal sealed record TrainingSettings(int Epochs, int BatchSize, double LearningRate, double Momentum, double WeightDecay, LossWeights Weights, int Seed)
{
    /// <summary>Train-time augmentation, or null for none.</summary>
    public ImageAugmentation? Augmentation { get; init; }

    /// <summary>
    /// A checkpoint file (weights, optimizer state, epoch, settings, data hash, normalisation, history) rewritten after every
    /// epoch; when it exists as training starts, training resumes from it (same settings, data and normalisation required).
    /// Null: no checkpoints.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// How the network's weights were set before the first epoch, as the checkpoint records it: e.g. "2 epochs of dense
    /// pretraining" or "initial weights run.pt (Native)"; <see cref="OwnInitialization"/> by default. A checkpoint that
    /// records another start is not resumed (the estimator skips its dense stage when the decoupling checkpoint exists).
    /// </summary>
    public string Start { get; init; } = OwnInitialization;

    /// <summary>The <see cref="Start"/> of a network trained from its own (seeded) initialisation.</summary>
    public const string OwnInitialization = "the network's own initialisation";

    /// <summary>The device to train on; null for the CPU.</summary>
    public Device? Device { get; init; }

    /// <summary>
    /// When set, gradients are rescaled before each update so that their global L2 norm is at most this value
    /// (<c>torch.nn.utils.clip_grad_norm_</c>); weight decay is added after clipping, inside the SGD step. Null: no clipping.
    /// </summary>
    public double? GradientClipNorm { get; init; }

    /// <summary>
    /// When set, training stops after this many optimiser steps (batches), counted from the first epoch (like PyTorch
    /// Lightning's <c>max_steps</c>); the learning-rate schedule still follows <see cref="Epochs"/>. The report of an epoch
    /// cut short averages over the batches it ran, and a checkpoint keeps only whole epochs. The completed epochs do not
    /// depend on this limit, so a checkpoint resumes a run with another limit unless it holds more steps than the limit.
    /// Null: no limit.
    /// </summary>
    public int? MaximumSteps { get; init; }

    /// <summary>The learning rate of 0-based <paramref name="epoch"/>: ÷10 from ceil(0.5·E) and again from ceil(0.75·E).</summary>
    public double LearningRateAt(int epoch)
    {
        double rate = LearningRate;
        if (epoch >= (int)Math.Ceiling(0.5 * Epochs))
        {
            rate /= 10;
        }

        if (epoch >= (int)Math.Ceiling(0.75 * Epochs))
        {
            rate /= 10;
        }

        return rate;
    }

    /// <summary>
    /// Throws an <see cref="ArgumentOutOfRangeException"/> (or <see cref="ArgumentException"/> for a path,
    /// <see cref="ArgumentNullException"/> for missing weights) naming the first setting out of range. The rules live here
    /// once; <paramref name="nameOf"/> renames a setting (e.g. <c>Weights.MutualInformation</c>) for callers whose options
    /// name it differently.
    /// </summary>
    internal void Validate(Func<string, string>? nameOf = null)
    {
        string Name(string setting) => nameOf?.Invoke(setting) ?? setting;
        SettingChecks.RequireRange(Epochs, 1, 100_000, Name(nameof(Epochs)));
        SettingChecks.RequireRange(BatchSize, 1, 1 << 20, Name(nameof(BatchSize)));
        SettingChecks.RequirePositive(LearningRate, Name(nameof(LearningRate)));
        SettingChecks.RequireRange(Momentum, 0, 0.999999, Name(nameof(Momentum)));
        SettingChecks.RequireRange(WeightDecay, 0, 1, Name(nameof(WeightDecay)));
        if (Weights is null)
        {
            throw new ArgumentNullException(Name(nameof(Weights)), $"{Name(nameof(Weights))} must hold the loss weights, e.g. new LossWeights(0.04, 1, 2e-4, 0).");
        }

        SettingChecks.RequireRange(Weights.MutualInformation, 0, 1e6, Name(WeightName(nameof(LossWeights.MutualInformation))));
        SettingChecks.RequireRange(Weights.KullbackLeibler, 0, 1e6, Name(WeightName(nameof(LossWeights.KullbackLeibler))));
        SettingChecks.RequireRange(Weights.Sparsity, 0, 1e6, Name(WeightName(nameof(LossWeights.Sparsity))));
        SettingChecks.RequireRange(Weights.TargetRatio, 0, 1, Name(WeightName(nameof(LossWeights.TargetRatio))));
        SettingChecks.RequireRange(Weights.SparsityWarmupEpochs, 0, 100_000, Name(WeightName(nameof(LossWeights.SparsityWarmupEpochs))));
        if (GradientClipNorm is { } clip)
        {
            SettingChecks.RequirePositive(clip, Name(nameof(GradientClipNorm)));
        }

        if (MaximumSteps is { } steps)
        {
            SettingChecks.RequireRange(steps, 1, int.MaxValue, Name(nameof(MaximumSteps)));
        }

        Augmentation?.Validate(Name(nameof(Augmentation)));
        if (CheckpointPath is not null && (string.IsNullOrWhiteSpace(CheckpointPath) || Directory.Exists(CheckpointPath)))
        {
            string name = Name(nameof(CheckpointPath));
            throw new ArgumentException($"{name} '{CheckpointPath}' must be the path of a file, not empty or a folder.", name);
        }
    }

    /// <summary>The name <see cref="Validate"/> gives a member of <see cref="Weights"/>, e.g. <c>Weights.Sparsity</c>.</summary>
    internal static string WeightName(string member) => $"{nameof(Weights)}.{member}";

    /// <summary>The seed of 0-based <paramref name="epoch"/>'s shuffling, augmentation and gate noise (a fixed mix, the same on every platform).</summary>
    internal int EpochSeed(int epoch)
    {
        ulong z = unchecked(((ulong)(uint)Seed << 32) + (ulong)epoch + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
