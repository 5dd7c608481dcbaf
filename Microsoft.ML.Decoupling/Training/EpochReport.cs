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
/// <param name="DynamicFilterRatio">Share of gated filters whose noise-free gate 1(g &gt; 0) was on for some of the epoch's
/// training images and off for others (0 without gates). The weights move during the epoch, so this is a trend;
/// <see cref="Transforms.DecoupledNetworkTransformer.MeasurePathQuality"/> on held-out data is the measurement.</param>
/// <param name="DistinctPathRatio">Distinct noise-free paths per training image of the epoch.</param>
/// <param name="PathClassifierAccuracy">Mean over gated layers of the accuracy of the layer's Lmi classifier W_cla on its
/// noise-free gates: how much of the class each layer's part of the path carries.</param>
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
    double Seconds,
    double DynamicFilterRatio = 0,
    double DistinctPathRatio = 0,
    double PathClassifierAccuracy = 0)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"epoch {Epoch}/{Epochs} lr {LearningRate:G3} loss {Total:F4} (ce {CrossEntropy:F4}, mi {MutualInformation:F4}, kl {KullbackLeibler:F5}, sparsity {Sparsity:F2}) train-acc {TrainAccuracy:P2} active {ActiveFilterRatio:P1} dynamic {DynamicFilterRatio:P1} distinct-paths {DistinctPathRatio:P1} path-classifiers {PathClassifierAccuracy:P1} [{Seconds:F1}s]");
}
