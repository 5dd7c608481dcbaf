namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>One image with the masks of the concepts it shows: the input of <see cref="ConceptAnalysis"/>.</summary>
public sealed class ConceptImage
{
    private readonly float[] _pixels;

    /// <summary>Creates an image; <paramref name="pixels"/> is copied.</summary>
    /// <exception cref="ArgumentException">A pixel is not finite or outside [0, 1], or a concept has two masks.</exception>
    /// <param name="pixels">C×H×W values in [0, 1], as the network's input column holds them.</param>
    /// <param name="label">Class index.</param>
    /// <param name="masks">The concepts in the image, at most one mask per concept, each H×W.</param>
    public ConceptImage(ReadOnlySpan<float> pixels, int label, IReadOnlyList<ConceptMask> masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentOutOfRangeException.ThrowIfNegative(label);
        if (masks.Select(m => m.Concept).Distinct(StringComparer.Ordinal).Count() != masks.Count)
        {
            throw new ArgumentException("An image has at most one mask per concept.", nameof(masks));
        }

        // The size is known only once the network reads it; the values are checked here, where they come in.
        Inference.PixelInput.CheckValues(pixels, Math.Max(1, pixels.Length), nameof(pixels), unitRange: true);
        _pixels = pixels.ToArray();
        Label = label;
        Masks = masks;
    }

    /// <summary>C×H×W values in [0, 1].</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>Class index.</summary>
    public int Label { get; }

    /// <summary>The concepts in the image.</summary>
    public IReadOnlyList<ConceptMask> Masks { get; }

    internal float[] PixelArray => _pixels;

    /// <summary>The images of a generated shapes data set with their part masks as concepts (named as <see cref="Data.ShapePartMask.Name"/>).</summary>
    /// <param name="shapes">The generated data set.</param>
    /// <param name="count">Take the first <paramref name="count"/> images; null for all.</param>
    public static IReadOnlyList<ConceptImage> FromShapes(Data.ShapesDataset shapes, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        int take = count ?? shapes.Count;
        ArgumentOutOfRangeException.ThrowIfNegative(take, nameof(count));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(take, shapes.Count, nameof(count));
        return Enumerable.Range(0, take).Select(i => new ConceptImage(
            shapes.Images.GetImage(i),
            shapes.Images.GetLabel(i),
            shapes.GetPartMasks(i).Select(m => new ConceptMask(m.Name, m.Pixels)).ToArray())).ToArray();
    }
}
