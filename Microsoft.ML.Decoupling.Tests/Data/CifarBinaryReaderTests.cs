using Microsoft.ML.Decoupling.Data;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class CifarBinaryReaderTests
{
    private static readonly string[] _cifar10Names =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private string _directory = "";

    [TestInitialize]
    public void CreateDirectory() => _directory = TestDatasets.CreateTempDirectory("cifar-reader-tests");

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [TestMethod]
    public void ReadFile_Cifar10_GivesThreeBy32By32ImagesOfTheBytesOver255InFileOrder()
    {
        string path = Write("batch.bin", Cifar10Record(3, seed: 0), Cifar10Record(0, seed: 1), Cifar10Record(9, seed: 2));

        ImageDataset data = CifarBinaryReader.ReadFile(path, CifarVariant.Cifar10);

        Assert.AreEqual(3, data.Count);
        Assert.AreEqual(3, data.Channels);
        Assert.AreEqual(32, data.Height);
        Assert.AreEqual(32, data.Width);
        CollectionAssert.AreEqual(ExpectedPixels(0, 1, 2), data.Pixels);
        Assert.AreEqual(PixelByte(1, channel: 0, row: 0, column: 0) / 255f, data.GetImage(1)[0]);
        Assert.AreEqual(PixelByte(2, channel: 1, row: 5, column: 7) / 255f, data.GetImage(2)[1024 + (5 * 32) + 7]);
        Assert.AreEqual(PixelByte(0, channel: 2, row: 31, column: 31) / 255f, data.GetImage(0)[3071]);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ReadFile_PlanesAreRedThenGreenThenBlue(bool cifar100)
    {
        var variant = cifar100 ? CifarVariant.Cifar100 : CifarVariant.Cifar10;
        byte[] pixels = [.. Enumerable.Repeat((byte)255, 1024), .. new byte[1024], .. Enumerable.Repeat((byte)51, 1024)];
        byte[] labels = variant == CifarVariant.Cifar10 ? [0] : [0, 0];
        string path = Write("planes.bin", [.. labels, .. pixels]);

        float[] image = CifarBinaryReader.ReadFile(path, variant).GetImage(0).ToArray();

        Assert.IsTrue(image[..1024].All(value => value == 1f), "The first plane is red.");
        Assert.IsTrue(image[1024..2048].All(value => value == 0f), "The second plane is green.");
        Assert.IsTrue(image[2048..].All(value => value == 0.2f), "The third plane is blue.");
    }

    [TestMethod]
    public void ReadFile_Cifar10_GivesTheLabelBytesAndDigitClassNames()
    {
        string path = Write("batch.bin", Cifar10Record(3, seed: 0), Cifar10Record(0, seed: 1), Cifar10Record(9, seed: 2));

        ImageDataset data = CifarBinaryReader.ReadFile(path, CifarVariant.Cifar10);

        CollectionAssert.AreEqual(new[] { 3, 0, 9 }, data.Labels);
        CollectionAssert.AreEqual(Digits(10), data.ClassNames.ToArray());
    }

    [TestMethod]
    public void ReadFile_Cifar100_TakesTheChosenLabelAndSkipsBothLabelBytes()
    {
        string path = Write(
            "train.bin", Cifar100Record(19, 99, seed: 4), Cifar100Record(0, 0, seed: 5), Cifar100Record(7, 42, seed: 6));

        ImageDataset fine = CifarBinaryReader.ReadFile(path, CifarVariant.Cifar100);
        ImageDataset coarse = CifarBinaryReader.ReadFile(path, CifarVariant.Cifar100, CifarLabelKind.Coarse);

        CollectionAssert.AreEqual(new[] { 99, 0, 42 }, fine.Labels);
        CollectionAssert.AreEqual(Digits(100), fine.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { 19, 0, 7 }, coarse.Labels);
        CollectionAssert.AreEqual(Digits(20), coarse.ClassNames.ToArray());
        CollectionAssert.AreEqual(ExpectedPixels(4, 5, 6), fine.Pixels);
        CollectionAssert.AreEqual(fine.Pixels, coarse.Pixels);
    }

    [TestMethod]
    public void ReadFile_GivenClassNames_UsesThemAndChecksTheirCount()
    {
        string path = Write("batch.bin", Cifar10Record(8, seed: 0));

        ImageDataset data = CifarBinaryReader.ReadFile(path, CifarVariant.Cifar10, classNames: _cifar10Names);
        var exception = Assert.ThrowsExactly<ArgumentException>(
            () => CifarBinaryReader.ReadFile(path, CifarVariant.Cifar10, classNames: _cifar10Names[..9]));

        Assert.AreEqual("ship", data.ClassNames[data.GetLabel(0)]);
        Assert.AreEqual("classNames", exception.ParamName);
    }

    [TestMethod]
    public void ReadFile_CoarseLabelsOfCifar10_Throws()
    {
        string path = Write("batch.bin", Cifar10Record(1, seed: 0));

        var exception = Assert.ThrowsExactly<ArgumentException>(
            () => CifarBinaryReader.ReadFile(path, CifarVariant.Cifar10, CifarLabelKind.Coarse));

        Assert.AreEqual("labelKind", exception.ParamName);
    }

    [TestMethod]
    public void GetFileNames_GivesEachSplitsDataFiles()
    {
        CollectionAssert.AreEqual(
            new[] { "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin" },
            CifarBinaryReader.GetFileNames(CifarVariant.Cifar10, DataSplit.Train).ToArray());
        CollectionAssert.AreEqual(
            new[] { "test_batch.bin" }, CifarBinaryReader.GetFileNames(CifarVariant.Cifar10, DataSplit.Test).ToArray());
        CollectionAssert.AreEqual(
            new[] { "train.bin" }, CifarBinaryReader.GetFileNames(CifarVariant.Cifar100, DataSplit.Train).ToArray());
        CollectionAssert.AreEqual(
            new[] { "test.bin" }, CifarBinaryReader.GetFileNames(CifarVariant.Cifar100, DataSplit.Test).ToArray());
    }

    [TestMethod]
    public void ReadCifar10_Train_ReadsTheFiveDataBatchesInOrderAndNotTheTestBatch()
    {
        WriteCifar10Directory(_directory);

        ImageDataset data = CifarBinaryReader.ReadCifar10(_directory, DataSplit.Train);

        // Batch b holds b records labelled b, with seeds 10·b + j.
        CollectionAssert.AreEqual(new[] { 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5 }, data.Labels);
        CollectionAssert.AreEqual(ExpectedPixels(10, 20, 21, 30, 31, 32, 40, 41, 42, 43, 50, 51, 52, 53, 54), data.Pixels);
        CollectionAssert.AreEqual(Digits(10), data.ClassNames.ToArray());
    }

    [TestMethod]
    public void ReadCifar10_Test_ReadsOnlyTheTestBatch()
    {
        WriteCifar10Directory(_directory);

        ImageDataset data = CifarBinaryReader.ReadCifar10(_directory, DataSplit.Test);

        CollectionAssert.AreEqual(new[] { 7, 6 }, data.Labels);
        CollectionAssert.AreEqual(ExpectedPixels(90, 91), data.Pixels);
    }

    [TestMethod]
    public void ReadCifar10_WithBatchesMeta_TakesTheClassNamesFromIt()
    {
        WriteCifar10Directory(_directory);
        // The real file ends with a blank line; CRLF line ends and surrounding spaces are tolerated too.
        File.WriteAllText(
            Path.Combine(_directory, "batches.meta.txt"), string.Join("\r\n", _cifar10Names.Select(name => $" {name} ")) + "\r\n\r\n");

        ImageDataset data = CifarBinaryReader.ReadCifar10(_directory, DataSplit.Test);

        CollectionAssert.AreEqual(_cifar10Names, data.ClassNames.ToArray());
        Assert.AreEqual("horse", data.ClassNames[data.GetLabel(0)]);
    }

    [TestMethod]
    public void ReadCifar10_ParentOfTheExtractedFolder_ReadsTheFolder()
    {
        string extracted = Path.Combine(_directory, "cifar-10-batches-bin");
        Directory.CreateDirectory(extracted);
        WriteCifar10Directory(extracted);

        ImageDataset fromParent = CifarBinaryReader.ReadCifar10(_directory, DataSplit.Test);

        CollectionAssert.AreEqual(new[] { 7, 6 }, fromParent.Labels);
    }

    [TestMethod]
    public void ReadCifar10_WithLimit_KeepsTheFirstImagesAcrossBatches()
    {
        WriteCifar10Directory(_directory);
        ImageDataset all = CifarBinaryReader.ReadCifar10(_directory, DataSplit.Train);

        ImageDataset first = CifarBinaryReader.ReadCifar10(_directory, DataSplit.Train, limit: 4);

        CollectionAssert.AreEqual(new[] { 1, 2, 2, 3 }, first.Labels);
        CollectionAssert.AreEqual(all.Pixels[..(4 * 3072)], first.Pixels);
        Assert.AreEqual(0, CifarBinaryReader.ReadCifar10(_directory, DataSplit.Train, limit: 0).Count);
        Assert.AreEqual(15, CifarBinaryReader.ReadCifar10(_directory, DataSplit.Train, limit: 1000).Count);
    }

    [TestMethod]
    public void ReadCifar10_NegativeLimit_Throws()
    {
        WriteCifar10Directory(_directory);

        var exception = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => CifarBinaryReader.ReadCifar10(_directory, DataSplit.Train, limit: -1));

        Assert.AreEqual("limit", exception.ParamName);
    }

    [TestMethod]
    public void ReadCifar100_ReadsTheSplitFileWithFineLabelsByDefault()
    {
        WriteCifar100Directory(_directory);

        ImageDataset train = CifarBinaryReader.ReadCifar100(_directory, DataSplit.Train);
        ImageDataset test = CifarBinaryReader.ReadCifar100(_directory, DataSplit.Test);

        CollectionAssert.AreEqual(new[] { 99, 0, 42 }, train.Labels);
        CollectionAssert.AreEqual(ExpectedPixels(1, 2, 3), train.Pixels);
        CollectionAssert.AreEqual(new[] { 5 }, test.Labels);
        CollectionAssert.AreEqual(ExpectedPixels(9), test.Pixels);
        CollectionAssert.AreEqual(Digits(100), train.ClassNames.ToArray());
    }

    [TestMethod]
    public void ReadCifar100_WithNameFiles_TakesTheNamesOfTheChosenLabelKind()
    {
        WriteCifar100Directory(_directory);
        string[] fineNames = [.. Enumerable.Range(0, 100).Select(i => $"fine{i}")];
        string[] coarseNames = [.. Enumerable.Range(0, 20).Select(i => $"coarse{i}")];
        File.WriteAllLines(Path.Combine(_directory, "fine_label_names.txt"), fineNames);
        File.WriteAllLines(Path.Combine(_directory, "coarse_label_names.txt"), coarseNames);

        ImageDataset fine = CifarBinaryReader.ReadCifar100(_directory, DataSplit.Train, CifarLabelKind.Fine);
        ImageDataset coarse = CifarBinaryReader.ReadCifar100(_directory, DataSplit.Train, CifarLabelKind.Coarse, limit: 2);

        CollectionAssert.AreEqual(fineNames, fine.ClassNames.ToArray());
        CollectionAssert.AreEqual(coarseNames, coarse.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { 19, 0 }, coarse.Labels);
        Assert.AreEqual("fine42", fine.ClassNames[fine.GetLabel(2)]);
    }

    [TestMethod]
    public void ReadCifar100_WithoutNameFiles_NamesCoarseClassesByNumber()
    {
        WriteCifar100Directory(_directory);

        ImageDataset coarse = CifarBinaryReader.ReadCifar100(_directory, DataSplit.Train, CifarLabelKind.Coarse);

        CollectionAssert.AreEqual(Digits(20), coarse.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { 19, 0, 7 }, coarse.Labels);
    }

    [TestMethod]
    public void ReadCifar10_MissingDirectory_ThrowsNamingThePathAndTheExpectedFiles()
    {
        string missing = Path.Combine(_directory, "does-not-exist");

        var exception = Assert.ThrowsExactly<DirectoryNotFoundException>(
            () => CifarBinaryReader.ReadCifar10(missing, DataSplit.Train));

        Assert.Contains(missing, exception.Message);
        Assert.Contains("data_batch_1.bin", exception.Message);
        Assert.Contains("data_batch_5.bin", exception.Message);
    }

    [TestMethod]
    public void ReadCifar10_MissingBatch_ThrowsFileNotFoundNamingIt()
    {
        WriteCifar10Directory(_directory);
        string batch3 = Path.Combine(_directory, "data_batch_3.bin");
        File.Delete(batch3);

        var exception = Assert.ThrowsExactly<FileNotFoundException>(
            () => CifarBinaryReader.ReadCifar10(_directory, DataSplit.Train, limit: 1));

        Assert.AreEqual(batch3, exception.FileName);
        Assert.Contains($"'{_directory}' lacks data_batch_3.bin;", exception.Message);
        Assert.Contains("data_batch_5.bin", exception.Message);
        Assert.AreEqual(2, CifarBinaryReader.ReadCifar10(_directory, DataSplit.Test).Count, "The test split does not need it.");
    }

    [TestMethod]
    public void ReadCifar100_MissingTestFile_ThrowsFileNotFoundNamingIt()
    {
        WriteCifar100Directory(_directory);
        File.Delete(Path.Combine(_directory, "test.bin"));

        var exception = Assert.ThrowsExactly<FileNotFoundException>(
            () => CifarBinaryReader.ReadCifar100(_directory, DataSplit.Test));

        Assert.AreEqual(Path.Combine(_directory, "test.bin"), exception.FileName);
        Assert.Contains(_directory, exception.Message);
        Assert.Contains("test.bin", exception.Message);
    }

    [TestMethod]
    public void ReadFile_MissingFile_ThrowsFileNotFoundNamingIt()
    {
        string missing = Path.Combine(_directory, "data_batch_1.bin");

        var exception = Assert.ThrowsExactly<FileNotFoundException>(
            () => CifarBinaryReader.ReadFile(missing, CifarVariant.Cifar10));

        Assert.AreEqual(missing, exception.FileName);
        Assert.Contains(missing, exception.Message);
    }

    [TestMethod]
    public void ReadFile_LengthNotAMultipleOfTheRecord_ThrowsNamingFileLengthAndRecordSize()
    {
        string path = Write("truncated.bin", Cifar10Record(1, seed: 0), Cifar10Record(2, seed: 1), new byte[5]);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => CifarBinaryReader.ReadFile(path, CifarVariant.Cifar10));

        Assert.Contains(path, exception.Message);
        Assert.Contains("6151 bytes", exception.Message);
        Assert.Contains("3073-byte", exception.Message);
    }

    [TestMethod]
    public void ReadFile_Cifar100FileReadAsCifar10_ThrowsForTheLength()
    {
        string path = Write("train.bin", Cifar100Record(1, 1, seed: 0), Cifar100Record(1, 1, seed: 1), Cifar100Record(1, 1, seed: 2));

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => CifarBinaryReader.ReadFile(path, CifarVariant.Cifar10));

        Assert.Contains("9222 bytes", exception.Message);
        Assert.Contains("3073-byte", exception.Message);
    }

    [TestMethod]
    public void ReadCifar10_TruncatedLaterBatch_ThrowsEvenWhenTheLimitStopsBeforeIt()
    {
        WriteCifar10Directory(_directory);
        string batch4 = Path.Combine(_directory, "data_batch_4.bin");
        File.AppendAllText(batch4, "x");

        var exception = Assert.ThrowsExactly<InvalidDataException>(
            () => CifarBinaryReader.ReadCifar10(_directory, DataSplit.Train, limit: 1));

        Assert.Contains(batch4, exception.Message);
        Assert.Contains($"{(4 * 3073) + 1} bytes", exception.Message);
    }

    [TestMethod]
    public void ReadFile_Cifar10LabelOutOfRange_ThrowsNamingFileRecordAndValue()
    {
        string path = Write("batch.bin", Cifar10Record(0, seed: 0), Cifar10Record(9, seed: 1), Cifar10Record(10, seed: 2));

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => CifarBinaryReader.ReadFile(path, CifarVariant.Cifar10));

        Assert.Contains(path, exception.Message);
        Assert.Contains("record 2 ", exception.Message);
        Assert.Contains("label 10;", exception.Message);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ReadFile_Cifar100LabelOutOfRange_ThrowsWhicheverLabelIsUsed(bool coarse)
    {
        var labelKind = coarse ? CifarLabelKind.Coarse : CifarLabelKind.Fine;
        string badFine = Write("bad-fine.bin", Cifar100Record(19, 99, seed: 0), Cifar100Record(3, 100, seed: 1));
        string badCoarse = Write("bad-coarse.bin", Cifar100Record(20, 5, seed: 0));

        var fineException = Assert.ThrowsExactly<InvalidDataException>(
            () => CifarBinaryReader.ReadFile(badFine, CifarVariant.Cifar100, labelKind));
        var coarseException = Assert.ThrowsExactly<InvalidDataException>(
            () => CifarBinaryReader.ReadFile(badCoarse, CifarVariant.Cifar100, labelKind));

        Assert.Contains(badFine, fineException.Message);
        Assert.Contains("record 1 ", fineException.Message);
        Assert.Contains("fine label 100;", fineException.Message);
        Assert.Contains(badCoarse, coarseException.Message);
        Assert.Contains("record 0 ", coarseException.Message);
        Assert.Contains("coarse label 20;", coarseException.Message);
    }

    [TestMethod]
    public void ReadCifar10_BatchesMetaWithTheWrongCount_ThrowsNamingIt()
    {
        WriteCifar10Directory(_directory);
        string meta = Path.Combine(_directory, "batches.meta.txt");
        File.WriteAllLines(meta, _cifar10Names[..9]);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => CifarBinaryReader.ReadCifar10(_directory, DataSplit.Test));

        Assert.Contains(meta, exception.Message);
        Assert.Contains("found 9 class names", exception.Message);
        Assert.Contains("expected 10", exception.Message);
    }

    [TestMethod]
    public void ReadCifar10_BatchesMetaWithABlankLine_ThrowsNamingTheLine()
    {
        WriteCifar10Directory(_directory);
        string meta = Path.Combine(_directory, "batches.meta.txt");
        File.WriteAllLines(meta, [.. _cifar10Names[..3], "", .. _cifar10Names[4..]]);

        var exception = Assert.ThrowsExactly<InvalidDataException>(() => CifarBinaryReader.ReadCifar10(_directory, DataSplit.Test));

        Assert.Contains(meta, exception.Message);
        Assert.Contains("line 4 is blank", exception.Message);
    }

    /// <summary>
    /// CIFAR-10 files: data_batch_b.bin holds b records labelled b with seeds 10·b + j; test_batch.bin holds labels 7 and 6
    /// with seeds 90 and 91.
    /// </summary>
    private static void WriteCifar10Directory(string directory)
    {
        for (int batch = 1; batch <= 5; batch++)
        {
            byte[][] records = [.. Enumerable.Range(0, batch).Select(j => Cifar10Record((byte)batch, seed: (10 * batch) + j))];
            File.WriteAllBytes(Path.Combine(directory, $"data_batch_{batch}.bin"), [.. records.SelectMany(record => record)]);
        }

        File.WriteAllBytes(Path.Combine(directory, "test_batch.bin"), [.. Cifar10Record(7, seed: 90), .. Cifar10Record(6, seed: 91)]);
    }

    /// <summary>CIFAR-100 files: train.bin holds (coarse, fine) = (19, 99), (0, 0), (7, 42) with seeds 1-3; test.bin (2, 5) with seed 9.</summary>
    private static void WriteCifar100Directory(string directory)
    {
        File.WriteAllBytes(
            Path.Combine(directory, "train.bin"),
            [.. Cifar100Record(19, 99, seed: 1), .. Cifar100Record(0, 0, seed: 2), .. Cifar100Record(7, 42, seed: 3)]);
        File.WriteAllBytes(Path.Combine(directory, "test.bin"), Cifar100Record(2, 5, seed: 9));
    }

    private string Write(string name, params byte[][] parts)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, [.. parts.SelectMany(part => part)]);
        return path;
    }

    private static byte[] Cifar10Record(byte label, int seed) => [label, .. PixelBytes(seed)];

    private static byte[] Cifar100Record(byte coarse, byte fine, int seed) => [coarse, fine, .. PixelBytes(seed)];

    /// <summary>The 3072 pixel bytes of a record: the red, green and blue 32×32 planes, each row-major.</summary>
    private static byte[] PixelBytes(int seed)
    {
        var bytes = new byte[3072];
        for (int channel = 0; channel < 3; channel++)
        {
            for (int row = 0; row < 32; row++)
            {
                for (int column = 0; column < 32; column++)
                {
                    bytes[(channel * 1024) + (row * 32) + column] = PixelByte(seed, channel, row, column);
                }
            }
        }

        return bytes;
    }

    /// <summary>A byte that differs between neighbouring pixels, channels and seeds, and covers 0 to 255.</summary>
    private static byte PixelByte(int seed, int channel, int row, int column) =>
        (byte)(((seed * 31) + (channel * 85) + (row * 3) + column) % 256);

    private static float[] ExpectedPixels(params int[] seeds) =>
        [.. seeds.SelectMany(PixelBytes).Select(value => value / 255f)];

    private static string[] Digits(int count) => [.. Enumerable.Range(0, count).Select(i => i.ToString())];
}
