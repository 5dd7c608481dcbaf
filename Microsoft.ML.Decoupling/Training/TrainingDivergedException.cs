using System.Globalization;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// Thrown when training diverges: a loss term, the gradient norm or a weight became NaN or infinite. Training stops at
/// once instead of returning a network whose every score is NaN. A checkpoint, if any, keeps the last finished epoch.
/// </summary>
/// <remarks>
/// A non-finite loss or gradient norm is found before the update: the network keeps its parameters and BatchNorm
/// statistics from before the batch. Non-finite weights (<see cref="TrainingTerm.Weights"/>) are found after it, when a
/// finite loss still produced a non-finite update; the network then holds that update.
/// </remarks>
public sealed class TrainingDivergedException : InvalidOperationException
{
    internal TrainingDivergedException(int epoch, int batch, TrainingTerm term, double value, double learningRate)
        : base(Describe(epoch, batch, term, value, learningRate))
    {
        Epoch = epoch;
        Batch = batch;
        Term = term;
    }

    /// <summary>1-based epoch of the failing batch.</summary>
    public int Epoch { get; }

    /// <summary>1-based batch within <see cref="Epoch"/>.</summary>
    public int Batch { get; }

    /// <summary>The first quantity found non-finite (loss terms are checked in the order of <see cref="TrainingTerm"/>).</summary>
    internal TrainingTerm Term { get; }

    private static string Describe(int epoch, int batch, TrainingTerm term, double value, double learningRate)
    {
        string what = term switch
        {
            TrainingTerm.CrossEntropy => "the cross-entropy loss (Lce)",
            TrainingTerm.MutualInformation => "the mutual-information loss (Lmi)",
            TrainingTerm.KullbackLeibler => "the KL loss (Lkl)",
            TrainingTerm.Sparsity => "the sparsity loss (Ls)",
            TrainingTerm.Total => "the total loss",
            TrainingTerm.GradientNorm => "the gradient norm",
            _ => "a weight of the network after the update",
        };
        string state = term == TrainingTerm.Weights
            ? "The update was applied: the network holds it."
            : "The update was not applied: the network keeps its weights and BatchNorm statistics from before this batch.";
        string found = term == TrainingTerm.Weights ? "not finite" : value.ToString(CultureInfo.InvariantCulture);
        string rate = learningRate.ToString("G3", CultureInfo.InvariantCulture);
        return $"Training diverged in epoch {epoch}, batch {batch}: {what} is {found}. {state} A checkpoint, if any, keeps the last finished epoch. "
            + $"Lower the learning rate (LearningRate; {rate} in this epoch) or the loss weights λm, λk, λs, or enable gradient clipping (GradientClipNorm). "
            + "If the CPU's convolutions are suspect, see the README's 'CPU convolution fault' section.";
    }
}
