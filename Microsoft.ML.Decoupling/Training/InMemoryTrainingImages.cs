using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>Training images held in one array: count×(C·H·W) pixel values and count 0-based labels.</summary>
internal sealed class InMemoryTrainingImages : TrainingImages
{
    private readonly float[] _pixels;
    private readonly int[] _labels;
    private string? _dataHash;

    /// <summary>
    /// Wraps the arrays (not copied); the first labels.Length×shape.Size values of <paramref name="pixels"/> are the images
    /// (a reader's buffer may be longer).
    /// </summary>
    public InMemoryTrainingImages(float[] pixels, int[] labels, ImageShape shape)
    {
        if (pixels.Length < (long)labels.Length * shape.Size)
        {
            throw new ArgumentException($"Expected {labels.Length}×{shape.Size} pixel values for {labels.Length} labelled {shape} images, got {pixels.Length}.", nameof(pixels));
        }

        _pixels = pixels;
        _labels = labels;
        Shape = shape;
    }

    /// <inheritdoc/>
    public override int Count => _labels.Length;

    /// <inheritdoc/>
    public override ImageShape Shape { get; }

    /// <inheritdoc/>
    public override string DataHash => _dataHash ??= TrainingCheckpoint.HashData(_pixels.AsSpan(0, _labels.Length * Shape.Size), _labels);

    /// <inheritdoc/>
    public override void ReadImage(int index, Span<float> target) => _pixels.AsSpan(index * Shape.Size, Shape.Size).CopyTo(target);

    /// <inheritdoc/>
    public override int Label(int index) => _labels[index];

    /// <inheritdoc/>
    public override string ToString() => $"{Count} images of {Shape} in memory ({(long)Count * Shape.Size * sizeof(float) / 1e6:F1} MB)";
}
