using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Tensor arithmetic whose libtorch scalars stay alive for the whole native call. TorchSharp's <c>a + b</c> passes
/// alpha = 1 as a new finalizable <see cref="Scalar"/> that nothing references once its handle is read, so the GC may
/// free it while libtorch still reads it (dotnet/TorchSharp pull requests 1434 and 1496, open in 0.107). Seen here once in
/// a parallel test run as "toFloat at c10/core/Scalar.h:140" in a residual sum, the op with the longest window (a
/// feature-map-sized kernel reads alpha). Hot paths use these: the residual sums, the evaluation gate, which every
/// TorchSharp forward pass outside training runs (NetworkReadout, per-input skipping) and which no
/// <see cref="ScalarLifetimeGuard"/> section covers, and the BatchNorm fold, so that an evaluation forward pass and the
/// setup of per-input skipping make no temporary scalar at all (TorchSharp's own BatchNorm, conv, linear, pooling and
/// ReLU take none in evaluation). A static scalar is never finalized, and libtorch only reads it, so threads may share it.
/// </summary>
internal static class RootedScalars
{
    /// <summary>0 (an integer scalar, as the literal <c>0</c> gives), for the evaluation gate's comparison g &gt; 0.</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>1, for alpha arguments (index_add_, add).</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>a + b (alpha 1, bit for bit the operator's result).</summary>
    public static Tensor Sum(Tensor a, Tensor b) => a.add(b, One);
}
