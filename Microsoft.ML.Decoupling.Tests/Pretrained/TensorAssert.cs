using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

internal static class TensorAssert
{
    /// <summary>Same element type, same shape and the same bytes (bitwise: -0 ≠ +0, NaN = NaN).</summary>
    public static void AreIdentical(Tensor expected, Tensor actual, string what)
    {
        Assert.AreEqual(expected.dtype, actual.dtype, $"{what}: element type");
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        using var e = expected.detach().cpu().contiguous();
        using var a = actual.detach().cpu().contiguous();
        CollectionAssert.AreEqual(e.bytes.ToArray(), a.bytes.ToArray(), $"{what}: values");
    }
}
