using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.Decoupling.Data;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Access to the committed test data and helpers that write small data files for tests.</summary>
internal static class TestDatasets
{
    /// <summary>Training images in the committed Fashion-MNIST subset.</summary>
    public const int SubsetTrainCount = 2000;

    /// <summary>Test images in the committed Fashion-MNIST subset.</summary>
    public const int SubsetTestCount = 1000;

    /// <summary>The committed Fashion-MNIST subset (first 2000 training and 1000 test images), copied next to the test assembly.</summary>
    public static string FashionMnistSubsetDirectory { get; } =
        Path.Combine(AppContext.BaseDirectory, "TestData", "fashion-mnist-subset");

    /// <summary>Loads a split of the committed Fashion-MNIST subset.</summary>
    public static ImageDataset LoadFashionMnistSubset(DataSplit split, int? limit = null) =>
        FashionMnist.Load(split, FashionMnistSubsetDirectory, limit);

    /// <summary>Creates an empty directory under the system temp directory; the caller deletes it.</summary>
    public static string CreateTempDirectory(string prefix)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Writes an IDX file: a 4-byte magic number, one big-endian int per dimension, then <paramref name="payload"/>.</summary>
    public static void WriteIdx(string path, int magic, int[] dimensions, byte[] payload, bool gzip)
    {
        using var buffer = new MemoryStream();
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, magic);
        buffer.Write(word);
        foreach (int dimension in dimensions)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, dimension);
            buffer.Write(word);
        }

        buffer.Write(payload);
        WriteBytes(path, buffer.ToArray(), gzip);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, gzip-compressed when asked.</summary>
    public static void WriteBytes(string path, byte[] content, bool gzip)
    {
        using FileStream file = File.Create(path);
        if (gzip)
        {
            using var compressed = new GZipStream(file, CompressionLevel.Fastest);
            compressed.Write(content);
        }
        else
        {
            file.Write(content);
        }
    }

    /// <summary>The decompressed bytes of a gzip file.</summary>
    public static byte[] Gunzip(string path)
    {
        using FileStream file = File.OpenRead(path);
        using var decompressed = new GZipStream(file, CompressionMode.Decompress);
        using var result = new MemoryStream();
        decompressed.CopyTo(result);
        return result.ToArray();
    }
}
