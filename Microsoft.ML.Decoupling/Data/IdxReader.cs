using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// Reads unsigned-byte IDX files, the format of MNIST and Fashion-MNIST (<c>*-images-idx3-ubyte</c>,
/// <c>*-labels-idx1-ubyte</c>), raw or gzip-compressed; gzip is recognised by its magic bytes 1F 8B, not the extension.
/// </summary>
/// <remarks>
/// Every inconsistency (bad magic number, wrong dimension count, short or overlong payload) is an error, raised before the
/// declared payload is allocated: a header that claims more data than the file holds fails at once (raw) or at the real
/// end of the data (gzip, read in 4 MiB chunks).
/// </remarks>
internal static class IdxReader
{
    /// <summary>Magic number of a 3-dimensional unsigned-byte IDX file (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of a 1-dimensional unsigned-byte IDX file (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    private const byte UnsignedByteTypeCode = 0x08;

    private const int ChunkSize = 1 << 22;

    /// <summary>Reads an IDX image file (magic 0x00000803: count, rows, columns, then the pixel bytes).</summary>
    /// <param name="path">Path of the file, raw or gzip-compressed.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed 3-dimensional unsigned-byte IDX file.</exception>
    public static IdxImages ReadImages(string path)
    {
        using Stream stream = Open(path);
        int[] dimensions = ReadHeader(stream, path, expectedDimensions: 3, "images");
        int count = dimensions[0], rows = dimensions[1], columns = dimensions[2];
        if (rows == 0 || columns == 0)
        {
            throw new InvalidDataException($"{path}: the header gives an image size of {rows}×{columns}; expected at least 1×1.");
        }

        byte[] pixels = ReadPayload(stream, path, (long)count * rows * columns, "pixel data");
        return new IdxImages(pixels, count, rows, columns);
    }

    /// <summary>Reads an IDX label file (magic 0x00000801: count, then one byte per label).</summary>
    /// <param name="path">Path of the file, raw or gzip-compressed.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed 1-dimensional unsigned-byte IDX file.</exception>
    public static byte[] ReadLabels(string path)
    {
        using Stream stream = Open(path);
        int[] dimensions = ReadHeader(stream, path, expectedDimensions: 1, "labels");
        return ReadPayload(stream, path, dimensions[0], "label data");
    }

    private static Stream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        }

        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            Span<byte> start = stackalloc byte[2];
            int read = file.ReadAtLeast(start, 2, throwOnEndOfStream: false);
            file.Position = 0;
            bool isGzip = read == 2 && start[0] == 0x1F && start[1] == 0x8B;
            return isGzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static int[] ReadHeader(Stream stream, string path, int expectedDimensions, string content)
    {
        Span<byte> magicBytes = stackalloc byte[4];
        int read = Read(stream, magicBytes, path);
        if (read < magicBytes.Length)
        {
            throw new InvalidDataException(
                $"{path}: the file ends after {read} bytes, inside the 4-byte IDX magic number.");
        }

        int magic = BinaryPrimitives.ReadInt32BigEndian(magicBytes);
        int expectedMagic = (UnsignedByteTypeCode << 8) | expectedDimensions;
        if (magicBytes[0] != 0 || magicBytes[1] != 0 || magicBytes[2] != UnsignedByteTypeCode)
        {
            throw new InvalidDataException(
                $"{path}: bad magic number 0x{magic:X8}; expected 0x{expectedMagic:X8} "
                + $"(an unsigned-byte IDX file of {content} with {expectedDimensions} dimension(s)).");
        }

        if (magicBytes[3] != expectedDimensions)
        {
            throw new InvalidDataException(
                $"{path}: the IDX header declares {magicBytes[3]} dimension(s) (magic 0x{magic:X8}); "
                + $"expected {expectedDimensions} for {content} (magic 0x{expectedMagic:X8}).");
        }

        Span<byte> sizeBytes = stackalloc byte[4 * expectedDimensions];
        read = Read(stream, sizeBytes, path);
        if (read < sizeBytes.Length)
        {
            throw new InvalidDataException(
                $"{path}: the file ends {read} bytes into the {sizeBytes.Length}-byte list of dimension sizes after the magic number.");
        }

        var dimensions = new int[expectedDimensions];
        for (int i = 0; i < expectedDimensions; i++)
        {
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(sizeBytes.Slice(4 * i, 4));
            if (dimensions[i] < 0)
            {
                throw new InvalidDataException(
                    $"{path}: dimension {i} of the IDX header is {(uint)dimensions[i]}, which is too large to be plausible.");
            }
        }

        return dimensions;
    }

    // The declared size is checked before it is allocated: against the file's length for a raw file, and for gzip by
    // reading in chunks, so that a header claiming millions of images fails at the real end of the data.
    private static byte[] ReadPayload(Stream stream, string path, long expectedLength, string content)
    {
        if (expectedLength > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{path}: the header announces {expectedLength} bytes of {content}, more than an array can hold.");
        }

        if (stream.CanSeek)
        {
            long available = stream.Length - stream.Position;
            if (available != expectedLength)
            {
                throw new InvalidDataException(
                    $"{path}: expected {expectedLength} bytes of {content} after the header, found {available}.");
            }
        }

        var chunks = new List<byte[]>();
        long total = 0;
        while (total < expectedLength)
        {
            var chunk = new byte[Math.Min(ChunkSize, expectedLength - total)];
            int read = Read(stream, chunk, path);
            total += read;
            if (read < chunk.Length)
            {
                throw new InvalidDataException(
                    $"{path}: expected {expectedLength} bytes of {content} after the header, found {total}.");
            }

            chunks.Add(chunk);
        }

        long extra = CountRemainingBytes(stream, path);
        if (extra > 0)
        {
            throw new InvalidDataException(
                $"{path}: expected {expectedLength} bytes of {content} after the header, found {total + extra}.");
        }

        if (chunks.Count == 1)
        {
            return chunks[0];
        }

        var payload = new byte[expectedLength];
        long offset = 0;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(payload, offset);
            offset += chunk.Length;
        }

        return payload;
    }

    private static long CountRemainingBytes(Stream stream, string path)
    {
        var scratch = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = Read(stream, scratch, path)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static int Read(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException exception)
        {
            // GZipStream reports corrupt data without saying which file it was reading.
            throw new InvalidDataException($"{path}: the gzip stream is corrupt: {exception.Message}", exception);
        }
    }
}
