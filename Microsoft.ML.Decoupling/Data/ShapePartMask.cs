namespace Microsoft.ML.Decoupling.Data;

/// <summary>Where one part of a generated shape was drawn: an H×W row-major mask, true on the part's pixels.</summary>
internal sealed class ShapePartMask
{
    private readonly bool[] _pixels;

    internal ShapePartMask(ShapePart part, bool[] pixels, int height, int width)
    {
        Part = part;
        _pixels = pixels;
        Height = height;
        Width = width;
        PixelCount = pixels.Count(covered => covered);
    }

    /// <summary>The part this mask belongs to.</summary>
    public ShapePart Part { get; }

    /// <summary>The part's kebab-case name, e.g. "horizontal-bar".</summary>
    public string Name => ShapesGenerator.GetPartName(Part);

    /// <summary>Mask height in pixels (the image height).</summary>
    public int Height { get; }

    /// <summary>Mask width in pixels (the image width).</summary>
    public int Width { get; }

    /// <summary>Number of pixels the part covers.</summary>
    public int PixelCount { get; }

    /// <summary>The H×W mask, row-major; true where the part was drawn.</summary>
    public ReadOnlySpan<bool> Pixels => _pixels;

    /// <summary>Whether the part covers the pixel at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    /// <param name="row">Row in [0, <see cref="Height"/>).</param>
    /// <param name="column">Column in [0, <see cref="Width"/>).</param>
    public bool Contains(int row, int column)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Height);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Width);
        return _pixels[(row * Width) + column];
    }
}
