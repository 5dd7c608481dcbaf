using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// Training images in a temporary file of float32 pixels (image after image, C·H·W values each), labels in memory.
/// Written once by <see cref="Append"/>, then read image by image with <see cref="RandomAccess.Read(Microsoft.Win32.SafeHandles.SafeFileHandle, Span{byte}, long)"/>
/// into the caller's batch buffer: no memory map, so the resident set stays the size of a batch whatever the file's size.
/// The file's name is removed as soon as it is created (Unix; <see cref="FileOptions.DeleteOnClose"/> on Windows), and
/// <see cref="Dispose"/> frees it.
/// </summary>
internal sealed class DiskCachedTrainingImages : TrainingImages
{
    private const int WriteBufferBytes = 1 << 20;
    private readonly FileStream _file;
    private readonly List<int> _pendingLabels = [];
    private IncrementalHash? _hash;
    private int[]? _labels;
    private string? _dataHash;

    private DiskCachedTrainingImages(FileStream file, ImageShape shape)
    {
        _file = file;
        Shape = shape;
        _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }

    /// <summary>The path the cache file was created at (on Unix the name is already removed; see <see cref="IsUnlinked"/>).</summary>
    public string FilePath => _file.Name;

    /// <summary>Bytes of pixels written so far.</summary>
    public long SizeInBytes => (long)Count * Shape.Size * sizeof(float);

    /// <inheritdoc/>
    public override int Count => _labels?.Length ?? _pendingLabels.Count;

    /// <inheritdoc/>
    public override ImageShape Shape { get; }

    /// <inheritdoc/>
    public override string DataHash => _dataHash ?? throw new InvalidOperationException("The cache is still being written.");

    /// <summary>
    /// Creates an empty cache file in <paramref name="folder"/>. On Linux and macOS its name is removed at once (the open
    /// handle keeps the data; the space is freed when the handle closes, also when the process is killed, so a crash
    /// or Ctrl+C leaves no multi-gigabyte file behind). On Windows, which cannot remove an open file's name, it is
    /// opened with <see cref="FileOptions.DeleteOnClose"/>.
    /// </summary>
    public static DiskCachedTrainingImages Create(string folder, ImageShape shape)
    {
        string path = Path.Combine(Path.GetFullPath(folder), $"decoupling-training-cache-{Guid.NewGuid():N}.f32");
        bool unlink = !OperatingSystem.IsWindows();
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, WriteBufferBytes, unlink ? FileOptions.None : FileOptions.DeleteOnClose);
        if (unlink)
        {
            try
            {
                File.Delete(path);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        return new DiskCachedTrainingImages(file, shape) { IsUnlinked = unlink };
    }

    /// <summary>Whether the file's name was removed when it was created (Linux, macOS): it then has no path on disk.</summary>
    public bool IsUnlinked { get; private init; }

    /// <summary>Appends one image (C·H·W values) and its 0-based label.</summary>
    public void Append(ReadOnlySpan<float> image, int label)
    {
        if (_labels is not null)
        {
            throw new InvalidOperationException("The cache is complete; no image can be added.");
        }

        var bytes = MemoryMarshal.AsBytes(image);
        _file.Write(bytes);
        _hash!.AppendData(bytes);
        _pendingLabels.Add(label);
    }

    /// <summary>Ends the writing: flushes the file and finishes the data hash (the labels' bytes come after all pixels).</summary>
    public void Complete()
    {
        _labels = _pendingLabels.ToArray();
        _pendingLabels.Clear();
        _file.Flush();
        _hash!.AppendData(MemoryMarshal.AsBytes(_labels.AsSpan()));
        _dataHash = TrainingCheckpoint.FinishDataHash(_hash);
        _hash.Dispose();
        _hash = null;
    }

    /// <inheritdoc/>
    public override void ReadImage(int index, Span<float> target)
    {
        var bytes = MemoryMarshal.AsBytes(target[..Shape.Size]);
        long offset = (long)index * bytes.Length;
        while (bytes.Length > 0)
        {
            int read = RandomAccess.Read(_file.SafeFileHandle, bytes, offset);
            if (read == 0)
            {
                throw new EndOfStreamException($"The training cache '{FilePath}' ended before image {index}.");
            }

            bytes = bytes[read..];
            offset += read;
        }
    }

    /// <inheritdoc/>
    public override int Label(int index) => (_labels ?? throw new InvalidOperationException("The cache is still being written."))[index];

    /// <inheritdoc/>
    public override string ToString() => IsUnlinked
        ? $"{Count} images of {Shape} in a disk cache in '{Path.GetDirectoryName(FilePath)}' ({SizeInBytes / 1e6:F1} MB; the file has no name, its space is freed when training ends or the process stops)"
        : $"{Count} images of {Shape} in the disk cache '{FilePath}' ({SizeInBytes / 1e6:F1} MB, deleted after training)";

    /// <summary>
    /// Checks, before any data is read, that a cache file can be created in <paramref name="folder"/> (created if missing).
    /// </summary>
    /// <exception cref="IOException">It cannot; the message names <paramref name="optionName"/> and the folder.</exception>
    public static void RequireWritable(string folder, string optionName, ImageShape shape)
    {
        try
        {
            Directory.CreateDirectory(folder);
            using (Create(folder, shape))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new IOException($"{optionName} '{folder}' cannot hold the training cache: {ex.Message}", ex);
        }
    }

    /// <summary>Closes and deletes the cache file.</summary>
    public override void Dispose()
    {
        _file.Dispose();
        _hash?.Dispose();
    }
}
