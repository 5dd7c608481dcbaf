using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// An in-memory labelled image set: N images of C×H×W floats in [0, 1], stored row-major as N×C×H×W,
/// with one class index per image.
/// </summary>
public sealed class ImageDataset
{
    // ML.NET's annotation kind for key names; its own constant (AnnotationUtils.Kinds.KeyValues) is internal.
    private const string KeyValuesAnnotationKind = "KeyValues";

    private readonly float[] _pixels;
    private readonly int[] _labels;
    private readonly string[] _classNames;

    /// <summary>
    /// Creates a data set over <paramref name="pixels"/> and <paramref name="labels"/>; the arrays are taken over,
    /// not copied, so the caller must not change them afterwards.
    /// </summary>
    /// <param name="pixels">N×C×H×W values in [0, 1], row-major.</param>
    /// <param name="labels">N class indices in [0, <paramref name="classNames"/>.Count).</param>
    /// <param name="channels">Channels per image (C), at least 1.</param>
    /// <param name="height">Image height in pixels (H), at least 1.</param>
    /// <param name="width">Image width in pixels (W), at least 1.</param>
    /// <param name="classNames">The class names, one per class index.</param>
    /// <exception cref="ArgumentException">A size, label or pixel value does not fit the description above.</exception>
    public ImageDataset(float[] pixels, int[] labels, int channels, int height, int width, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (classNames.Count == 0)
        {
            throw new ArgumentException("At least one class name is required.", nameof(classNames));
        }

        for (int i = 0; i < classNames.Count; i++)
        {
            if (classNames[i] is null)
            {
                throw new ArgumentException($"Class name {i} is null.", nameof(classNames));
            }
        }

        long imageSize = (long)channels * height * width;
        if (imageSize > Array.MaxLength)
        {
            throw new ArgumentException(
                $"An image of {channels}×{height}×{width} values is larger than an array can hold.", nameof(width));
        }

        if (pixels.LongLength != labels.LongLength * imageSize)
        {
            throw new ArgumentException(
                $"Expected {labels.Length} images × {channels}×{height}×{width} = {labels.LongLength * imageSize} pixel values, "
                + $"found {pixels.Length}.",
                nameof(pixels));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classNames.Count)
            {
                throw new ArgumentException(
                    $"Label {labels[i]} of image {i} is outside [0, {classNames.Count}) given by the {classNames.Count} class names.",
                    nameof(labels));
            }
        }

        for (int i = 0; i < pixels.Length; i++)
        {
            // Written so that NaN fails too.
            if (!(pixels[i] >= 0f && pixels[i] <= 1f))
            {
                throw new ArgumentException(
                    $"Pixel value {pixels[i]} at position {i} (image {i / imageSize}) is outside [0, 1].", nameof(pixels));
            }
        }

        _pixels = pixels;
        _labels = labels;
        _classNames = [.. classNames];
        Channels = channels;
        Height = height;
        Width = width;
    }

    private ImageDataset(float[] pixels, int[] labels, int channels, int height, int width, string[] classNames)
    {
        // Already validated by the caller (a slice of a valid data set).
        _pixels = pixels;
        _labels = labels;
        _classNames = classNames;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>Number of images (N).</summary>
    public int Count => _labels.Length;

    /// <summary>Channels per image (C).</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels (H).</summary>
    public int Height { get; }

    /// <summary>Image width in pixels (W).</summary>
    public int Width { get; }

    /// <summary>Values per image: C·H·W, the size of the <see cref="DecouplingColumnNames.Image"/> vector.</summary>
    public int ImageSize => Channels * Height * Width;

    /// <summary>The class names; label <c>k</c> is <c>ClassNames[k]</c>.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>All pixels, N×C×H×W row-major, values in [0, 1]; read-only by convention.</summary>
    internal float[] Pixels => _pixels;

    /// <summary>All labels, N class indices in [0, K); read-only by convention.</summary>
    internal int[] Labels => _labels;

    /// <summary>The C×H×W values of image <paramref name="index"/>.</summary>
    /// <param name="index">Image index in [0, <see cref="Count"/>).</param>
    public ReadOnlySpan<float> GetImage(int index)
    {
        CheckIndex(index);
        return _pixels.AsSpan(index * ImageSize, ImageSize);
    }

    /// <summary>The class index of image <paramref name="index"/>.</summary>
    /// <param name="index">Image index in [0, <see cref="Count"/>).</param>
    public int GetLabel(int index)
    {
        CheckIndex(index);
        return _labels[index];
    }

    /// <summary>A copy of the images <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    /// <param name="start">First image to take.</param>
    /// <param name="count">Number of images to take.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the data set.</exception>
    public ImageDataset Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (start > Count - count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count), $"Images [{start}, {(long)start + count}) do not lie within the {Count} images of the data set.");
        }

        float[] pixels = _pixels.AsSpan(start * ImageSize, count * ImageSize).ToArray();
        int[] labels = _labels.AsSpan(start, count).ToArray();
        return new ImageDataset(pixels, labels, Channels, Height, Width, _classNames);
    }

    /// <summary>A copy of the images at <paramref name="indices"/>, in that order.</summary>
    /// <param name="indices">Image indices in [0, <see cref="Count"/>); repeats are allowed.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index does not lie within the data set.</exception>
    public ImageDataset Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int imageSize = ImageSize;
        var pixels = new float[(long)indices.Count * imageSize];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            CheckIndex(indices[i]);
            _pixels.AsSpan(indices[i] * imageSize, imageSize).CopyTo(pixels.AsSpan(i * imageSize));
            labels[i] = _labels[indices[i]];
        }

        return new ImageDataset(pixels, labels, Channels, Height, Width, _classNames);
    }

    /// <summary>
    /// An <see cref="IDataView"/> over this data set with a known-size <see cref="DecouplingColumnNames.Image"/> vector
    /// of <see cref="ImageSize"/> floats and a <see cref="DecouplingColumnNames.Label"/> key column (<c>uint</c>, one key per
    /// class, raw value = label + 1) whose key values are the class names. Rows are produced on demand from the arrays.
    /// </summary>
    /// <param name="mlContext">The context whose data catalog builds the view.</param>
    public IDataView ToDataView(MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return mlContext.Data.LoadFromEnumerable(EnumerateRows(), CreateSchemaDefinition());
    }

    private SchemaDefinition CreateSchemaDefinition()
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(ImageDatasetRow), SchemaDefinition.Direction.Read);

        SchemaDefinition.Column image = definition[nameof(ImageDatasetRow.Image)];
        image.ColumnName = DecouplingColumnNames.Image;
        image.ColumnType = new VectorDataViewType(NumberDataViewType.Single, ImageSize);

        SchemaDefinition.Column label = definition[nameof(ImageDatasetRow.Label)];
        label.ColumnName = DecouplingColumnNames.Label;
        label.ColumnType = new KeyDataViewType(typeof(uint), _classNames.Length);
        var keyValues = new VBuffer<ReadOnlyMemory<char>>(
            _classNames.Length, [.. _classNames.Select(name => name.AsMemory())]);
        label.AddAnnotation(
            KeyValuesAnnotationKind,
            keyValues,
            new VectorDataViewType(TextDataViewType.Instance, _classNames.Length));

        return definition;
    }

    private IEnumerable<ImageDatasetRow> EnumerateRows()
    {
        int imageSize = ImageSize;
        for (int i = 0; i < _labels.Length; i++)
        {
            yield return new ImageDatasetRow
            {
                Image = _pixels.AsSpan(i * imageSize, imageSize).ToArray(),
                // LoadFromEnumerable reads a key member as a 0-based index and exposes it as the 1-based raw key
                // (label + 1; 0 would mean "missing"), so the class index goes in unchanged.
                Label = (uint)_labels[i],
            };
        }
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Expected an image index in [0, {Count}).");
        }
    }
}
