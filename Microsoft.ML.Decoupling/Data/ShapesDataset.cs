namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// A generated shapes data set: train or test on its <see cref="Images"/>, and pass it to
/// <see cref="Analysis.Concepts.ConceptImage.FromShapes"/> for the images with the exact masks of their parts as concepts.
/// </summary>
public sealed class ShapesDataset
{
    private readonly ShapePartMask[][] _partMasks;

    internal ShapesDataset(ImageDataset images, ShapePartMask[][] partMasks)
    {
        Images = images;
        _partMasks = partMasks;
    }

    /// <summary>The labelled images; class names are <see cref="ShapesGenerator.ClassNames"/>.</summary>
    public ImageDataset Images { get; }

    /// <summary>Number of images.</summary>
    public int Count => Images.Count;

    /// <summary>One mask per part of image <paramref name="index"/>, in the order of <see cref="ShapesGenerator.GetClassParts"/>.</summary>
    /// <param name="index">Image index in [0, <see cref="Count"/>).</param>
    internal IReadOnlyList<ShapePartMask> GetPartMasks(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Expected an image index in [0, {Count}).");
        }

        return _partMasks[index];
    }
}
