namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// Accumulates the per-channel mean and standard deviation of channel-planar images fed one at a time, so that
/// <see cref="InputNormalization.Measure"/> can be computed while the images stream past. Each channel sums its values
/// image after image in reading order (in double precision), so the result is bit-identical to measuring the whole array.
/// </summary>
internal sealed class ChannelStatistics
{
    private readonly ImageShape _shape;
    private readonly double[] _sums;
    private readonly double[] _squares;
    private long _count;

    public ChannelStatistics(ImageShape shape)
    {
        _shape = shape;
        _sums = new double[shape.Channels];
        _squares = new double[shape.Channels];
    }

    /// <summary>Number of images added.</summary>
    public long Count => _count;

    /// <summary>Adds one image of C·H·W values.</summary>
    public void Add(ReadOnlySpan<float> image)
    {
        int plane = _shape.Height * _shape.Width;
        for (int c = 0; c < _shape.Channels; c++)
        {
            double sum = _sums[c], squares = _squares[c];
            foreach (float v in image.Slice(c * plane, plane))
            {
                sum += v;
                squares += (double)v * v;
            }

            _sums[c] = sum;
            _squares[c] = squares;
        }

        _count++;
    }

    /// <summary>The normalisation of the images added so far; a constant channel gets a deviation of 1.</summary>
    public InputNormalization ToNormalization()
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("No image was added.");
        }

        int plane = _shape.Height * _shape.Width;
        var mean = new float[_shape.Channels];
        var deviation = new float[_shape.Channels];
        for (int c = 0; c < _shape.Channels; c++)
        {
            double n = (double)_count * plane;
            double m = _sums[c] / n;
            double sd = Math.Sqrt(Math.Max(0, (_squares[c] / n) - (m * m)));
            mean[c] = (float)m;
            deviation[c] = sd > 1e-6 ? (float)sd : 1f;
        }

        return new InputNormalization(mean, deviation);
    }
}
