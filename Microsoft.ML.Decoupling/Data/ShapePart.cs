namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// The vocabulary of parts that <see cref="ShapesGenerator"/> composes its classes from; several classes share a part,
/// so a part-level feature is reused across classes. <see cref="ShapesGenerator.GetPartName"/> gives the kebab-case names.
/// </summary>
internal enum ShapePart
{
    /// <summary>A horizontal stroke through the centre ("horizontal-bar").</summary>
    HorizontalBar,

    /// <summary>A vertical stroke through the centre ("vertical-bar").</summary>
    VerticalBar,

    /// <summary>A stroke along one of the two diagonals ("diagonal").</summary>
    Diagonal,

    /// <summary>A small filled circle at the centre ("disk").</summary>
    Disk,

    /// <summary>A circle outline ("ring").</summary>
    Ring,

    /// <summary>An axis-aligned square outline ("square-outline").</summary>
    SquareOutline,

    /// <summary>An upward-pointing triangle outline ("triangle").</summary>
    Triangle,
}
