using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Training;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// Reads the estimator's training data in one pass over the <see cref="IDataView"/> cursor: skips rows with a missing
/// label, checks that every pixel is a finite value in [0, 1], measures the per-channel normalisation when asked, and
/// stores the images in memory up to <see cref="DecoupleNetworkEstimator.Options.TrainingDataInMemoryLimitMegabytes"/>.
/// Past the limit (or the largest .NET array) every image goes to a <see cref="DiskCachedTrainingImages"/> file in the
/// cache folder instead, so the data set may be larger than memory and than 2^31 values.
/// </summary>
internal sealed class TrainingDataReader
{
    // The first buffer of a data view without a row count: 1024 images, or fewer so that it stays within 64 MB
    // (1024 images of 3×224×224 would be 616 MB held for 10 images).
    private const int InitialImages = 1024;
    private const long InitialBufferBytes = 64L << 20;
    private const string CacheFolderOption = nameof(DecoupleNetworkEstimator.Options.TrainingCacheFolder);
    private readonly string _imageColumnName;
    private readonly ImageShape _shape;
    private readonly long _maximumInMemoryImages;
    private readonly string _cacheFolder;

    /// <param name="imageColumnName">The image column's name, for error messages.</param>
    /// <param name="shape">The images' shape.</param>
    /// <param name="memoryLimitBytes">The most pixel bytes kept in memory.</param>
    /// <param name="cacheFolder">The folder of the disk cache.</param>
    public TrainingDataReader(string imageColumnName, ImageShape shape, long memoryLimitBytes, string cacheFolder)
    {
        _imageColumnName = imageColumnName;
        _shape = shape;
        _maximumInMemoryImages = Math.Min(memoryLimitBytes / ((long)shape.Size * sizeof(float)), Array.MaxLength / shape.Size);
        _cacheFolder = cacheFolder;
    }

    /// <summary>Whether <paramref name="input"/> may need the disk cache: its row count is unknown or above the limit.</summary>
    public bool MaySpill(IDataView input) => !(input.GetRowCount() is { } rows && rows <= _maximumInMemoryImages);

    /// <summary>
    /// Reads the labelled images; the caller disposes the result (which deletes a disk cache). Also returns the measured
    /// normalisation when <paramref name="measureNormalization"/> is set and there are images, and the number of rows
    /// skipped for a missing label.
    /// </summary>
    /// <exception cref="InvalidOperationException">A pixel is not a finite value in [0, 1]; the message names the column and row.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled (checked between rows).</exception>
    public TrainingImages Read(
        IDataView input, DataViewSchema.Column imageColumn, DataViewSchema.Column labelColumn, bool measureNormalization, CancellationToken cancellation, out InputNormalization? normalization, out long unlabelledRows)
    {
        int size = _shape.Size;
        long? rows = input.GetRowCount();
        var statistics = measureNormalization ? new ChannelStatistics(_shape) : null;
        DiskCachedTrainingImages? disk = null;
        float[]? memory = null;
        var labels = new List<int>();
        unlabelledRows = 0;
        try
        {
            if (!MaySpill(input))
            {
                memory = new float[rows!.Value * size]; // Every row fits: one array of the right size.
            }
            else if (rows is not null)
            {
                // Known to be too large from the start: the folder must hold all of it, checked before any row is read.
                RequireFreeSpace(_cacheFolder, rows.Value * _shape.Size * sizeof(float));
                disk = DiskCachedTrainingImages.Create(_cacheFolder, _shape);
            }

            using var cursor = input.GetRowCursor([imageColumn, labelColumn]);
            var getImage = cursor.GetGetter<VBuffer<float>>(imageColumn);
            var getLabel = KeyLabelGetter.Create(cursor, labelColumn);
            ulong keyCount = ((KeyDataViewType)labelColumn.Type).Count;
            VBuffer<float> value = default;
            var image = new float[size];
            while (cursor.MoveNext())
            {
                cancellation.ThrowIfCancellationRequested();
                ulong key = getLabel();
                if (key == 0)
                {
                    unlabelledRows++;
                    continue; // Missing label: skipped, as ML.NET trainers do (the estimator warns with the count).
                }

                if (key > keyCount)
                {
                    // A view of the user's own may hold raw keys past its type's count; training would fail far later.
                    throw new InvalidOperationException(
                        $"Column '{labelColumn.Name}' holds key {key} at row {cursor.Position}; its key type has {keyCount} values (keys 1 to {keyCount}, 0 for a missing label).");
                }

                getImage(ref value);
                value.CopyTo(image);
                RequireUnitRange(image, cursor.Position);
                statistics?.Add(image);
                int label = (int)key - 1;
                if (disk is null && labels.Count == _maximumInMemoryImages)
                {
                    disk = Spill(memory, labels);
                    memory = null;
                    labels.Clear();
                }

                if (disk is not null)
                {
                    Append(disk, image, label);
                    continue;
                }

                memory = EnsureCapacity(memory, labels.Count + 1);
                image.CopyTo(memory.AsSpan(labels.Count * size, size));
                labels.Add(label);
            }

            normalization = statistics is { Count: > 0 } ? statistics.ToNormalization() : null;
            if (disk is not null)
            {
                disk.Complete();
                return disk;
            }

            return new InMemoryTrainingImages(memory ?? [], labels.ToArray(), _shape);
        }
        catch
        {
            disk?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Throws when the drive of <paramref name="folder"/> has less free space than <paramref name="bytes"/> (where the
    /// platform reports it).
    /// </summary>
    /// <exception cref="IOException">Too little space; the message names TrainingCacheFolder, the folder and both sizes.</exception>
    internal static void RequireFreeSpace(string folder, long bytes)
    {
        long available;
        try
        {
            available = new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return; // No figure on this platform or file system: the writes will tell.
        }

        if (available < bytes)
        {
            throw new IOException(
                $"{CacheFolderOption} '{folder}' has {available / 1e9:F2} GB free, but the training cache needs {bytes / 1e9:F2} GB (4 bytes per pixel value); choose a folder on a larger disk or free space.");
        }
    }

    /// <summary>Appends to the cache; a failed write (a full disk) names the option, the folder and the size reached.</summary>
    private void Append(DiskCachedTrainingImages disk, ReadOnlySpan<float> image, int label)
    {
        try
        {
            disk.Append(image, label);
        }
        catch (IOException ex)
        {
            throw new IOException(
                $"Writing the training cache in {CacheFolderOption} '{_cacheFolder}' failed after {disk.SizeInBytes / 1e9:F2} GB ({ex.Message}); it needs 4 bytes per pixel value of the training data: choose a folder on a larger disk.", ex);
        }
    }

    private DiskCachedTrainingImages Spill(float[]? memory, List<int> labels)
    {
        var disk = DiskCachedTrainingImages.Create(_cacheFolder, _shape);
        try
        {
            for (int i = 0; i < labels.Count; i++)
            {
                Append(disk, memory.AsSpan(i * _shape.Size, _shape.Size), labels[i]);
            }

            return disk;
        }
        catch
        {
            disk.Dispose();
            throw;
        }
    }

    /// <summary>Grows the in-memory buffer by doubling, up to the in-memory limit, when it cannot take <paramref name="images"/> images.</summary>
    private float[] EnsureCapacity(float[]? memory, int images)
    {
        long needed = (long)images * _shape.Size;
        if (memory is not null && memory.Length >= needed)
        {
            return memory;
        }

        long initial = Math.Clamp(InitialBufferBytes / ((long)_shape.Size * sizeof(float)), 1, InitialImages);
        long capacity = Math.Min(Math.Max(images, Math.Max(initial, 2L * (memory?.Length ?? 0) / _shape.Size)), _maximumInMemoryImages);
        var grown = new float[capacity * _shape.Size];
        memory?.CopyTo(grown, 0);
        return grown;
    }

    private void RequireUnitRange(ReadOnlySpan<float> image, long row)
    {
        for (int i = 0; i < image.Length; i++)
        {
            if (!Inference.PixelInput.IsUnitPixel(image[i]))
            {
                throw new InvalidOperationException(
                    $"Column '{_imageColumnName}' holds {image[i]} at index {i} of row {row}; images must be {Inference.PixelInput.UnitPixelExpectation}.");
            }
        }
    }
}
