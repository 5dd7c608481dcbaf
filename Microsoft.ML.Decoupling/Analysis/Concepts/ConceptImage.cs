namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>One image with the masks of the concepts it shows: the input of <see cref="ConceptAnalysis"/>.</summary>
public sealed class ConceptImage
{
    private readonly float[] _pixels;

    /// <summary>Creates an image; <paramref name="pixels"/> and the masks are copied.</summary>
    /// <exception cref="ArgumentException">A pixel is not finite or outside [0, 1], or a concept name is empty.</exception>
    /// <param name="pixels">C×H×W values in [0, 1], as the network's input column holds them.</param>
    /// <param name="label">Class index.</param>
    /// <param name="masks">
    /// The concepts in the image: per concept name (e.g. "ring"), where it appears, an H×W row-major mask, true on the concept.
    /// </param>
    public ConceptImage(ReadOnlySpan<float> pixels, int label, IReadOnlyDictionary<string, bool[]> masks)
        : this(pixels, label, (masks ?? throw new ArgumentNullException(nameof(masks))).Select(m => new ConceptMask(m.Key, m.Value)).ToArray())
    {
    }

    internal ConceptImage(ReadOnlySpan<float> pixels, int label, IReadOnlyList<ConceptMask> masks)
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
        MaskList = masks;
        Masks = masks.ToDictionary(m => m.Concept, m => (IReadOnlyList<bool>)Array.AsReadOnly(m.PixelArray), StringComparer.Ordinal);
    }

    /// <summary>C×H×W values in [0, 1].</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>Class index.</summary>
    public int Label { get; }

    /// <summary>The concepts in the image: per concept name, its H×W row-major mask (true on the concept).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<bool>> Masks { get; }

    /// <summary>The masks in the order they were given.</summary>
    internal IReadOnlyList<ConceptMask> MaskList { get; }

    internal float[] PixelArray => _pixels;

    /// <summary>The images of a generated shapes data set with their part masks as concepts (named after the parts: "ring", "disk", "horizontal-bar" …).</summary>
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
