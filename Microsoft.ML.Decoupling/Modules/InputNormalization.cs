using System.Globalization;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// Per-channel normalisation x' = (x − mean[c]) / std[c], applied inside the network (and its ONNX model) to images in
/// [0, 1], so callers keep feeding raw pixel values.
/// </summary>
public sealed class InputNormalization
{
    /// <summary>Creates a normalisation; <paramref name="mean"/> and <paramref name="standardDeviation"/> have one finite value per channel, deviations positive.</summary>
    public InputNormalization(IReadOnlyList<float> mean, IReadOnlyList<float> standardDeviation)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(standardDeviation);
        if (mean.Count == 0 || mean.Count != standardDeviation.Count)
        {
            throw new ArgumentException($"Expected one mean and one standard deviation per channel; got {mean.Count} means and {standardDeviation.Count} deviations.", nameof(standardDeviation));
        }

        for (int c = 0; c < mean.Count; c++)
        {
            if (!float.IsFinite(mean[c]))
            {
                throw new ArgumentOutOfRangeException(nameof(mean), mean[c], $"The mean of channel {c} must be finite.");
            }

            if (!(standardDeviation[c] > 0) || !float.IsFinite(standardDeviation[c]))
            {
                throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation[c], $"The standard deviation of channel {c} must be a positive finite number.");
            }
        }

        // Read-only wrappers over private copies: options and networks share an instance, so it must never change.
        _mean = mean.ToArray();
        _deviation = standardDeviation.ToArray();
        Mean = Array.AsReadOnly(_mean);
        StandardDeviation = Array.AsReadOnly(_deviation);
    }

    private readonly float[] _mean;
    private readonly float[] _deviation;

    /// <summary>Mean of each channel.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Standard deviation of each channel.</summary>
    public IReadOnlyList<float> StandardDeviation { get; }

    /// <summary>Number of channels.</summary>
    public int Channels => Mean.Count;

    /// <summary>
    /// Measures the per-channel mean and standard deviation of <paramref name="count"/> images stored channel-planar
    /// (C·H·W values each) in <paramref name="pixels"/>. A constant channel gets a deviation of 1.
    /// </summary>
    public static InputNormalization Measure(ReadOnlySpan<float> pixels, int count, ImageShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (count < 1 || pixels.Length != (long)count * shape.Size)
        {
            throw new ArgumentException($"Expected {count}×{shape.Size} pixel values ({shape}), got {pixels.Length}.", nameof(pixels));
        }

        var statistics = new ChannelStatistics(shape);
        for (int i = 0; i < count; i++)
        {
            statistics.Add(pixels.Slice(i * shape.Size, shape.Size));
        }

        return statistics.ToNormalization();
    }

    /// <summary>
    /// (x − mean) / std of images [B, C, H, W], in the caller's dispose scope: the one place the network's forward pass and
    /// per-input skipping normalise (the ONNX exporter writes the same Sub → Div from <see cref="Mean"/> and
    /// <see cref="StandardDeviation"/>).
    /// </summary>
    internal Tensor Apply(Tensor x)
    {
        var shape = new long[] { 1, Channels, 1, 1 };
        return (x - tensor(_mean, shape, device: x.device)) / tensor(_deviation, shape, device: x.device);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"mean [{string.Join(", ", Mean.Select(m => m.ToString("G4", CultureInfo.InvariantCulture)))}], std [{string.Join(", ", StandardDeviation.Select(s => s.ToString("G4", CultureInfo.InvariantCulture)))}]");
}
