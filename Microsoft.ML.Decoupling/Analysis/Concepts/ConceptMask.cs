namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>Where a concept (a labelled part) appears in one image: an H×W row-major mask.</summary>
internal sealed class ConceptMask
{
    private readonly bool[] _pixels;

    /// <summary>Creates a mask; <paramref name="pixels"/> is copied.</summary>
    /// <param name="concept">Concept name, e.g. "ring".</param>
    /// <param name="pixels">H×W values, row-major; true on the concept.</param>
    public ConceptMask(string concept, ReadOnlySpan<bool> pixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(concept);
        Concept = concept;
        _pixels = pixels.ToArray();
    }

    /// <summary>Concept name.</summary>
    public string Concept { get; }

    /// <summary>The H×W mask, row-major.</summary>
    public ReadOnlySpan<bool> Pixels => _pixels;

    internal bool[] PixelArray => _pixels;
}
