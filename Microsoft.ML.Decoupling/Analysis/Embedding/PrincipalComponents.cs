using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>Projection of centred points onto their leading principal components (TorchSharp eigendecomposition).</summary>
internal static class PrincipalComponents
{
    /// <summary>
    /// Projects the rows of <paramref name="points"/> [n, d] (float64) onto at most <paramref name="dimensions"/> leading
    /// principal components; returns [n, min(dimensions, d, n)] in the caller's dispose scope. Each component's sign is
    /// fixed (largest-magnitude loading positive) so that the result does not depend on the solver's sign choice.
    /// </summary>
    public static Tensor Project(Tensor points, int dimensions)
    {
        // TorchSharp turns the numbers below into temporary scalars: no collection until their native calls have returned.
        using var collectionPause = Native.ScalarLifetimeGuard.Enter();
        long n = points.shape[0], d = points.shape[1];
        int keep = (int)Math.Min(dimensions, Math.Min(d, n));
        var centred = points - points.mean(new long[] { 0 }, keepdim: true);
        if (keep == d)
        {
            return centred;
        }

        Tensor components;
        if (d <= n)
        {
            // Eigenvectors of the d×d scatter matrix, ascending eigenvalues: the last ones lead.
            var (_, vectors) = linalg.eigh(centred.t().matmul(centred));
            components = vectors.narrow(1, d - keep, keep).flip(1);
        }
        else
        {
            // Fewer points than dimensions: eigenvectors of the n×n Gram matrix give the same projection.
            var (values, vectors) = linalg.eigh(centred.matmul(centred.t()));
            var u = vectors.narrow(1, n - keep, keep).flip(1);
            var scale = values.narrow(0, n - keep, keep).flip(0).clamp_min(1e-12).sqrt();
            components = centred.t().matmul(u) / scale;
        }

        var largest = components.abs().argmax(0, keepdim: true);
        var signs = components.gather(0, largest).sign();
        signs = where(signs.eq(0), ones_like(signs), signs);
        return centred.matmul(components * signs);
    }
}
