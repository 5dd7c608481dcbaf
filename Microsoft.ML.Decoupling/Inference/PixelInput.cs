using System.Globalization;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Inference;

/// <summary>
/// The one check of images handed over as flat arrays: <c>count</c> images of C·H·W finite values and, where the caller
/// relies on it (attacks clip to [0, 1] and measure their budget there; concept images), values in [0, 1]. A NaN or
/// infinite pixel would otherwise give NaN scores and 0/1 paths without a word (the gates compare NaN logits with 0).
/// </summary>
internal static class PixelInput
{
    /// <exception cref="ArgumentNullException"><paramref name="pixels"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException">The length does not match, or a value is not finite or, with <paramref name="unitRange"/>, outside [0, 1] (naming the image and the index).</exception>
    public static void Check(DecoupledNetwork network, float[] pixels, int count, string parameter, bool unitRange = false)
    {
        ArgumentNullException.ThrowIfNull(pixels, parameter);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int imageSize = network.Input.Size;
        if (pixels.Length != (long)count * imageSize)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{parameter} holds {pixels.Length} values; expected {count} image(s) of {network.Input}, {(long)count * imageSize} values."), parameter);
        }

        CheckValues(pixels, imageSize, parameter, unitRange);
    }

    /// <summary>
    /// Whether <paramref name="value"/> is a pixel as the network is trained on: a finite value in [0, 1] (false for NaN).
    /// The one definition that training (the estimator's data reader), the transformer's scoring check and attacks share.
    /// </summary>
    public static bool IsUnitPixel(float value) => value >= 0f && value <= 1f;

    /// <summary>What <see cref="IsUnitPixel"/> asks for, as the training and scoring checks' messages say it.</summary>
    public const string UnitPixelExpectation = "finite values in [0, 1] (divide bytes by 255)";

    /// <summary>Every value finite (and with <paramref name="unitRange"/> in [0, 1]); images of <paramref name="imageSize"/> values each, for the message.</summary>
    public static void CheckValues(ReadOnlySpan<float> pixels, int imageSize, string parameter, bool unitRange)
    {
        for (int i = 0; i < pixels.Length; i++)
        {
            float value = pixels[i];
            if (unitRange ? !IsUnitPixel(value) : !float.IsFinite(value))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{parameter} holds {value} at value {i % imageSize} of image {i / imageSize}; expected {(unitRange ? "values in [0, 1]" : "finite values")}."),
                    parameter);
            }
        }
    }
}
