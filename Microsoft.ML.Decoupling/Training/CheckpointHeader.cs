using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>The description of a training run stored at the start of a <see cref="TrainingCheckpoint"/>.</summary>
/// <param name="Architecture">The network's architecture name.</param>
/// <param name="Input">Input image shape.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="Gated">Whether the network has gates.</param>
/// <param name="CompletedEpochs">Epochs finished when the checkpoint was written.</param>
/// <param name="Epochs">Epochs of the whole run (they set the learning-rate schedule).</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="LearningRate">Initial learning rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">Weight decay.</param>
/// <param name="Weights">Loss weights.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Augmentation">Train-time augmentation, or null.</param>
/// <param name="GradientClipNorm">The gradient clipping norm, or null for none.</param>
/// <param name="SampleCount">Number of training images.</param>
/// <param name="DataHash">SHA-256 of the training pixels and labels (<c>sha256:</c> and hex digits); null in checkpoints of format version 1.</param>
/// <param name="Normalization">The network's input normalisation, or null for none.</param>
/// <param name="History">Reports of the finished epochs (values may be NaN or infinite).</param>
/// <param name="Start">How the weights were set before the first epoch (<see cref="TrainingSettings.Start"/>); null in checkpoints of format versions 1 and 2.</param>
internal sealed record CheckpointHeader(
    string Architecture,
    ImageShape Input,
    int Classes,
    bool Gated,
    int CompletedEpochs,
    int Epochs,
    int BatchSize,
    double LearningRate,
    double Momentum,
    double WeightDecay,
    LossWeights Weights,
    int Seed,
    ImageAugmentation? Augmentation,
    double? GradientClipNorm,
    int SampleCount,
    string? DataHash,
    InputNormalization? Normalization,
    IReadOnlyList<EpochReport> History,
    string? Start = null);
