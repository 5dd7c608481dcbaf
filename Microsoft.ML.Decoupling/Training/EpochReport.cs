namespace Microsoft.ML.Decoupling.Training;

/// <summary>Averages over one training epoch.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="LearningRate">Learning rate used in this epoch.</param>
/// <param name="CrossEntropy">Mean Lce.</param>
/// <param name="MutualInformation">Mean Lmi (unweighted).</param>
/// <param name="KullbackLeibler">Mean Lkl (unweighted).</param>
/// <param name="Sparsity">Mean Ls (unweighted).</param>
/// <param name="Total">Mean total loss.</param>
/// <param name="TrainAccuracy">Accuracy on the training batches (training-mode network).</param>
/// <param name="ActiveFilterRatio">Mean gate value over gated filters and images (1 when the network has no gates).</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochReport(
    int Epoch,
    int Epochs,
    double LearningRate,
    double CrossEntropy,
    double MutualInformation,
    double KullbackLeibler,
    double Sparsity,
    double Total,
    double TrainAccuracy,
    double ActiveFilterRatio,
    double Seconds)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"epoch {Epoch}/{Epochs} lr {LearningRate:G3} loss {Total:F4} (ce {CrossEntropy:F4}, mi {MutualInformation:F4}, kl {KullbackLeibler:F5}, sparsity {Sparsity:F2}) train-acc {TrainAccuracy:P2} active {ActiveFilterRatio:P1} [{Seconds:F1}s]");
}
