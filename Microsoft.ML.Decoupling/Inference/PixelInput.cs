using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Inference;

/// <summary>
/// The one check of images handed to a network as a flat array: <c>count</c> images of C·H·W finite values. A NaN or
/// infinite pixel would otherwise give NaN scores and 0/1 paths without a word (the gates compare NaN logits with 0).
/// </summary>
internal static class PixelInput
{
    /// <exception cref="ArgumentNullException"><paramref name="pixels"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException">The length does not match, or a value is not finite (naming the image and the index).</exception>
    public static void Check(DecoupledNetwork network, float[] pixels, int count, string parameter)
    {
        ArgumentNullException.ThrowIfNull(pixels, parameter);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int imageSize = network.Input.Size;
        if (pixels.Length != (long)count * imageSize)
        {
            throw new ArgumentException($"{parameter} holds {pixels.Length} values; expected {count} images of {network.Input} ({(long)count * imageSize} values).", parameter);
        }

        int bad = Array.FindIndex(pixels, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new ArgumentException($"{parameter} holds {pixels[bad]} at value {bad % imageSize} of image {bad / imageSize}; the network needs finite pixels.", parameter);
        }
    }
}
