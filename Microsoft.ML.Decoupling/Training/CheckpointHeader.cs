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
/// <param name="GateReduction">γ of the gates' squeeze layers; null in checkpoints of format versions 1 and 2 (which were rebuilt with 4).</param>
/// <param name="ConvolutionBias">Whether the convs carry biases (a VGG built so); null in checkpoints of format versions 1 and 2.</param>
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
    string? Start = null,
    int? GateReduction = null,
    bool? ConvolutionBias = null)
{
    /// <summary>The architecture the checkpoint's network was built from: its name, with conv biases where it had them.</summary>
    /// <exception cref="InvalidDataException">The name is not an architecture, or biases are recorded for one without them.</exception>
    internal NetworkArchitecture BuildableArchitecture(string path)
    {
        NetworkArchitecture architecture;
        try
        {
            architecture = NetworkArchitecture.Parse(Architecture);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}' names an unknown architecture '{Architecture}': {e.Message}", e);
        }

        return ConvolutionBias == true
            ? architecture.WithConvolutionBias() ?? throw new InvalidDataException($"Checkpoint '{path}' records conv biases for {Architecture}, which has none.")
            : architecture;
    }
}
