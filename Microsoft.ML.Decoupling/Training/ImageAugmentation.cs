namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// Train-time augmentation, drawn per image from the epoch's seeded generator: a random crop of the original size from
/// the image zero-padded by <paramref name="CropPadding"/> pixels on each side, then a horizontal flip with probability ½.
/// The paper's CIFAR setting is padding 4 with flips; evaluation never augments.
/// </summary>
/// <param name="CropPadding">Zero padding on each side before the random crop; 0 disables cropping.</param>
/// <param name="HorizontalFlip">Whether to flip half of the images left–right.</param>
public sealed record ImageAugmentation(int CropPadding = 0, bool HorizontalFlip = false)
{
    /// <summary>The paper's CIFAR augmentation: crop with 4 pixels of padding and horizontal flips.</summary>
    public static ImageAugmentation Cifar { get; } = new(4, true);

    /// <summary>Whether this augmentation changes any image.</summary>
    public bool IsActive => CropPadding > 0 || HorizontalFlip;

    internal void Validate(string optionName)
    {
        if (CropPadding < 0 || CropPadding > 1024)
        {
            throw new ArgumentOutOfRangeException(optionName, CropPadding, $"{optionName}.{nameof(CropPadding)} must be in [0, 1024].");
        }
    }

    /// <summary>Writes the augmented copy of one channel-planar image into <paramref name="target"/>.</summary>
    internal void Apply(ReadOnlySpan<float> source, Span<float> target, int channels, int height, int width, Random random)
    {
        int dy = CropPadding > 0 ? random.Next(-CropPadding, CropPadding + 1) : 0;
        int dx = CropPadding > 0 ? random.Next(-CropPadding, CropPadding + 1) : 0;
        bool flip = HorizontalFlip && random.Next(2) == 1;
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            var input = source.Slice(c * plane, plane);
            var output = target.Slice(c * plane, plane);
            for (int y = 0; y < height; y++)
            {
                int sy = y + dy;
                for (int x = 0; x < width; x++)
                {
                    int cx = flip ? width - 1 - x : x;
                    int sx = cx + dx;
                    output[(y * width) + x] = sy >= 0 && sy < height && sx >= 0 && sx < width ? input[(sy * width) + sx] : 0f;
                }
            }
        }
    }
}
