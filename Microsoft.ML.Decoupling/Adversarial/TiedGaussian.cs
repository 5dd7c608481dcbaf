using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// Class means and one covariance shared by all classes (Lee et al., NeurIPS 2018), the model behind
/// <see cref="MahalanobisDetector"/> and <see cref="PathDeviation"/>. Works in float64 inside the caller's dispose scope.
/// </summary>
internal static class TiedGaussian
{
    /// <summary>Means [classes, F] and precision [F, F] of the rows of <paramref name="x"/> (N×F, float64).</summary>
    /// <param name="x">One row per image.</param>
    /// <param name="labels">The rows' classes (int64), each in [0, classes); a class without rows gets the mean of all rows.</param>
    /// <param name="classes">Number of classes.</param>
    public static (Tensor Means, Tensor Precision) Fit(Tensor x, Tensor labels, int classes)
    {
        // TorchSharp turns the numbers below into temporary scalars: no collection until their native calls have returned.
        using var collectionPause = Native.ScalarLifetimeGuard.Enter();
        var counts = zeros(classes, dtype: ScalarType.Float64).index_add_(0, labels, ones(labels.shape[0], dtype: ScalarType.Float64), Native.RootedScalars.One);
        var sums = zeros(classes, x.shape[1], dtype: ScalarType.Float64).index_add_(0, labels, x, Native.RootedScalars.One);
        // A class without rows gets the overall mean (the transformer's calibration sample need not hold every class).
        var means = where(counts.unsqueeze(1) > 0, sums / counts.clamp_min(1).unsqueeze(1), x.mean([0], keepdim: true));
        var centred = x - means.index_select(0, labels);
        var covariance = centred.t().matmul(centred) / x.shape[0];
        // pinv: the features of ReLU networks are often rank-deficient (dead filters, silent gates).
        return (means, linalg.pinv(covariance, hermitian: true));
    }
}
