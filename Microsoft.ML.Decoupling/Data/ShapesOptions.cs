namespace Microsoft.ML.Decoupling.Data;

/// <summary>Settings of <see cref="ShapesGenerator.Generate(ShapesOptions)"/>: how many synthetic shape images to make, their size, channels, noise and seed.</summary>
internal sealed class ShapesOptions
{
    /// <summary>Number of images; the classes are balanced (counts differ by at most one). Default 4000.</summary>
    public int Count { get; set; } = ShapesDefaults.Count;

    /// <summary>Height and width of the square images, at least 16. Default 32.</summary>
    public int ImageSize { get; set; } = ShapesDefaults.ImageSize;

    /// <summary>1 (grey) or 3 (RGB; each image gets a random tint). Default 1.</summary>
    public int Channels { get; set; } = ShapesDefaults.Channels;

    /// <summary>Standard deviation of the Gaussian pixel noise added before clamping to [0, 1]. Default 0.1.</summary>
    public float NoiseStd { get; set; } = ShapesDefaults.NoiseStd;

    /// <summary>Seed; the same seed and settings give bit-identical data. Default 0.</summary>
    public int Seed { get; set; } = ShapesDefaults.Seed;
}
