using Microsoft.ML.Decoupling.Data;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class IdxReaderTests
{
    private string _directory = "";

    [TestInitialize]
    public void CreateDirectory() => _directory = TestDatasets.CreateTempDirectory("idx-reader-tests");

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [TestMethod]
    public void ReadImages_Subset_GivesCountAndSizeFromHeader()
    {
        IdxImages images = IdxReader.ReadImages(SubsetFile("train-images-idx3-ubyte.gz"));

        Assert.AreEqual(TestDatasets.SubsetTrainCount, images.Count);
        Assert.AreEqual(28, images.Rows);
        Assert.AreEqual(28, images.Columns);
        Assert.AreEqual(TestDatasets.SubsetTrainCount * 28 * 28, images.Pixels.Length);
        Assert.IsGreaterThan(100, (int)images.Pixels.Max(), "Fashion-MNIST images have bright pixels.");
    }

    [TestMethod]
    public void ReadLabels_Subset_GivesOneLabelPerImageInRange()
    {
        byte[] labels = IdxReader.ReadLabels(SubsetFile("t10k-labels-idx1-ubyte.gz"));

        Assert.HasCount(TestDatasets.SubsetTestCount, labels);
        Assert.IsTrue(labels.All(label => label <= 9));
    }

    [TestMethod]
    public void GzipAndRaw_GiveIdenticalResults_WhateverTheExtension()
    {
        string gzipped = SubsetFile("t10k-images-idx3-ubyte.gz");
        byte[] raw = TestDatasets.Gunzip(gzipped);
        string rawPath = Path.Combine(_directory, "raw-images");
        string rawNamedGz = Path.Combine(_directory, "raw-images.gz");
        string gzipNamedRaw = Path.Combine(_directory, "gzip-images");
        File.WriteAllBytes(rawPath, raw);
        File.WriteAllBytes(rawNamedGz, raw);
        File.Copy(gzipped, gzipNamedRaw);

        IdxImages expected = IdxReader.ReadImages(gzipped);
        foreach (string path in new[] { rawPath, rawNamedGz, gzipNamedRaw })
        {
            IdxImages actual = IdxReader.ReadImages(path);
            Assert.AreEqual(expected.Count, actual.Count, path);
            Assert.AreEqual(expected.Rows, actual.Rows, path);
            Assert.AreEqual(expected.Columns, actual.Columns, path);
            CollectionAssert.AreEqual(expected.Pixels, actual.Pixels, path);
        }

        string rawLabels = Path.Combine(_directory, "raw-labels");
        File.WriteAllBytes(rawLabels, TestDatasets.Gunzip(SubsetFile("t10k-labels-idx1-ubyte.gz")));
        CollectionAssert.AreEqual(IdxReader.ReadLabels(SubsetFile("t10k-labels-idx1-ubyte.gz")), IdxReader.ReadLabels(rawLabels));
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ReadImages_BadMagicNumber_ThrowsNamingTheFile(bool gzip)
    {
        string path = Path.Combine(_directory, "bad-magic-images");
        TestDatasets.WriteIdx(path, magic: 0x12345678, [1, 2, 2], new byte[4], gzip);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains("magic", exception.Message);
    }

    [TestMethod]
    public void ReadImages_OnLabelFile_ThrowsForTheDimensionCount()
    {
        string path = SubsetFile("t10k-labels-idx1-ubyte.gz");

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains("1 dimension", exception.Message);
    }

    [TestMethod]
    public void ReadLabels_OnImageFile_ThrowsForTheDimensionCount()
    {
        string path = SubsetFile("t10k-images-idx3-ubyte.gz");

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains("3 dimension", exception.Message);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ReadImages_TruncatedPayload_ThrowsWithExpectedAndFoundSizes(bool gzip)
    {
        string path = Path.Combine(_directory, "truncated-images");
        TestDatasets.WriteIdx(path, IdxReader.ImagesMagic, [3, 4, 5], new byte[(3 * 4 * 5) - 7], gzip);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains("expected 60 bytes", exception.Message);
        Assert.Contains("found 53", exception.Message);
    }

    [TestMethod]
    public void ReadImages_TruncatedSubsetFile_Throws()
    {
        byte[] raw = TestDatasets.Gunzip(SubsetFile("t10k-images-idx3-ubyte.gz"));
        string path = Path.Combine(_directory, "t10k-images-idx3-ubyte");
        File.WriteAllBytes(path, raw[..(raw.Length / 2)]);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, exception.Message);
    }

    [TestMethod]
    public void ReadImages_MorePixelsThanTheHeaderSays_Throws()
    {
        string path = Path.Combine(_directory, "overlong-images");
        TestDatasets.WriteIdx(path, IdxReader.ImagesMagic, [2, 4, 4], new byte[3 * 4 * 4], gzip: true);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains("expected 32 bytes", exception.Message);
        Assert.Contains("found 48", exception.Message);
    }

    [TestMethod]
    public void ReadLabels_CountInHeaderDoesNotMatchPayload_Throws()
    {
        string path = Path.Combine(_directory, "short-labels");
        TestDatasets.WriteIdx(path, IdxReader.LabelsMagic, [10], new byte[9], gzip: false);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Contains(path, exception.Message);
        Assert.Contains("expected 10 bytes of label data", exception.Message);
    }

    [TestMethod]
    public void ReadImages_TruncatedHeader_Throws()
    {
        string path = Path.Combine(_directory, "short-header");
        TestDatasets.WriteBytes(path, [0, 0, 8, 3, 0, 0], gzip: false);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, exception.Message);
    }

    [TestMethod]
    public void ReadImages_CorruptGzip_ThrowsNamingTheFile()
    {
        string path = Path.Combine(_directory, "corrupt.gz");
        byte[] content = File.ReadAllBytes(SubsetFile("t10k-labels-idx1-ubyte.gz"));
        for (int i = 10; i < content.Length - 8; i++)
        {
            content[i] = 0xFF;
        }

        File.WriteAllBytes(path, content);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Contains(path, exception.Message);
    }

    [TestMethod]
    public void ReadImages_MissingFile_ThrowsFileNotFound()
    {
        string path = Path.Combine(_directory, "missing-images-idx3-ubyte");

        var exception = Assert.ThrowsExactly<FileNotFoundException>(() => IdxReader.ReadImages(path));

        Assert.AreEqual(path, exception.FileName);
        Assert.Contains(path, exception.Message);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ReadImages_HeaderClaimingMillionsOfImages_FailsWithoutAllocatingThem(bool gzip)
    {
        // 2 000 000 images of 28×28 would be 1.5 GB; the file holds 10 images.
        string path = Path.Combine(_directory, "lying-header");
        TestDatasets.WriteIdx(path, IdxReader.ImagesMagic, [2_000_000, 28, 28], new byte[10 * 28 * 28], gzip);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var exception = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(path, exception.Message);
        Assert.Contains("expected 1568000000 bytes", exception.Message);
        Assert.Contains("found 7840", exception.Message);
        Assert.IsLessThan(64L << 20, allocated, $"allocated {allocated} bytes for a 7 840-byte payload");
    }

    private static string SubsetFile(string name) => Path.Combine(TestDatasets.FashionMnistSubsetDirectory, name);
}
