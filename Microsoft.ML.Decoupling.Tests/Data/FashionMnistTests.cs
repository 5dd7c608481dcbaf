using Microsoft.ML.Decoupling.Data;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class FashionMnistTests
{
    private string _directory = "";

    [TestInitialize]
    public void CreateDirectory() => _directory = TestDatasets.CreateTempDirectory("fashion-mnist-tests");

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [TestMethod]
    public void ClassNames_AreTheTenFashionMnistClassesInLabelOrder()
    {
        Assert.HasCount(10, FashionMnist.ClassNames);
        Assert.AreEqual("T-shirt/top", FashionMnist.ClassNames[0]);
        Assert.AreEqual("Sandal", FashionMnist.ClassNames[5]);
        Assert.AreEqual("Ankle boot", FashionMnist.ClassNames[9]);
    }

    [TestMethod]
    [DataRow(DataSplit.Train, TestDatasets.SubsetTrainCount)]
    [DataRow(DataSplit.Test, TestDatasets.SubsetTestCount)]
    public void Load_Subset_GivesGreyImagesInUnitRangeWithBalancedLabels(DataSplit split, int expectedCount)
    {
        ImageDataset data = TestDatasets.LoadFashionMnistSubset(split);

        Assert.AreEqual(expectedCount, data.Count);
        Assert.AreEqual(1, data.Channels);
        Assert.AreEqual(28, data.Height);
        Assert.AreEqual(28, data.Width);
        Assert.AreEqual(784, data.ImageSize);
        CollectionAssert.AreEqual(FashionMnist.ClassNames.ToArray(), data.ClassNames.ToArray());
        Assert.AreEqual(0f, data.Pixels.Min());
        Assert.AreEqual(1f, data.Pixels.Max());

        // Pixels are the stored bytes divided by 255.
        Assert.IsTrue(data.Pixels.All(value => MathF.Abs((value * 255f) - MathF.Round(value * 255f)) < 1e-3f));

        // Fashion-MNIST is balanced: about a tenth of any large prefix falls in each class.
        int[] perClass = new int[10];
        foreach (int label in data.Labels)
        {
            perClass[label]++;
        }

        foreach (int classCount in perClass)
        {
            Assert.IsInRange(expectedCount / 20, expectedCount / 5, classCount);
        }
    }

    [TestMethod]
    public void Load_WithLimit_KeepsTheFirstImages()
    {
        ImageDataset all = TestDatasets.LoadFashionMnistSubset(DataSplit.Test);

        ImageDataset first = TestDatasets.LoadFashionMnistSubset(DataSplit.Test, limit: 25);

        Assert.AreEqual(25, first.Count);
        CollectionAssert.AreEqual(all.Labels[..25], first.Labels);
        CollectionAssert.AreEqual(all.Pixels[..(25 * 784)], first.Pixels);
        Assert.AreEqual(all.Count, TestDatasets.LoadFashionMnistSubset(DataSplit.Test, limit: 5000).Count);
    }

    [TestMethod]
    public void Load_NegativeLimit_Throws()
    {
        var exception = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => TestDatasets.LoadFashionMnistSubset(DataSplit.Test, limit: -1));

        Assert.AreEqual("limit", exception.ParamName);
    }

    [TestMethod]
    public void Load_RawFiles_MatchesGzippedFiles()
    {
        foreach (string name in new[] { "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            File.WriteAllBytes(
                Path.Combine(_directory, name),
                TestDatasets.Gunzip(Path.Combine(TestDatasets.FashionMnistSubsetDirectory, name + ".gz")));
        }

        // The training files stay gzipped: a directory may mix both forms.
        foreach (string name in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz" })
        {
            File.Copy(Path.Combine(TestDatasets.FashionMnistSubsetDirectory, name), Path.Combine(_directory, name));
        }

        ImageDataset fromRaw = FashionMnist.Load(DataSplit.Test, _directory);
        ImageDataset fromGzip = TestDatasets.LoadFashionMnistSubset(DataSplit.Test);

        CollectionAssert.AreEqual(fromGzip.Labels, fromRaw.Labels);
        CollectionAssert.AreEqual(fromGzip.Pixels, fromRaw.Pixels);
    }

    [TestMethod]
    public void FindDirectory_GivenDirectory_ReturnsItOnlyWhenItHoldsAllFourFiles()
    {
        Assert.AreEqual(
            TestDatasets.FashionMnistSubsetDirectory, FashionMnist.FindDirectory(TestDatasets.FashionMnistSubsetDirectory));

        File.Copy(
            Path.Combine(TestDatasets.FashionMnistSubsetDirectory, "train-images-idx3-ubyte.gz"),
            Path.Combine(_directory, "train-images-idx3-ubyte.gz"));
        Assert.IsNull(FashionMnist.FindDirectory(_directory));
        Assert.IsNull(FashionMnist.FindDirectory(Path.Combine(_directory, "does-not-exist")));
    }

    [TestMethod]
    [DoNotParallelize]
    public void FindDirectory_WithoutDirectory_UsesTheEnvironmentVariable()
    {
        string? previous = Environment.GetEnvironmentVariable(FashionMnist.DirectoryEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(FashionMnist.DirectoryEnvironmentVariable, TestDatasets.FashionMnistSubsetDirectory);

            Assert.AreEqual(TestDatasets.FashionMnistSubsetDirectory, FashionMnist.FindDirectory());
            Assert.AreEqual(TestDatasets.SubsetTestCount, FashionMnist.Load(DataSplit.Test).Count);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FashionMnist.DirectoryEnvironmentVariable, previous);
        }
    }

    [TestMethod]
    [DoNotParallelize]
    public void EnvironmentVariableNamingAMissingOrIncompleteFolder_IsAnErrorNamingTheVariable_NotAFallback()
    {
        string? previous = Environment.GetEnvironmentVariable(FashionMnist.DirectoryEnvironmentVariable);
        try
        {
            string missing = Path.Combine(_directory, "does-not-exist");
            Environment.SetEnvironmentVariable(FashionMnist.DirectoryEnvironmentVariable, missing);
            var error = Assert.ThrowsExactly<DirectoryNotFoundException>(() => FashionMnist.FindDirectory());
            StringAssert.Contains(error.Message, "$FASHION_MNIST_DIR");
            StringAssert.Contains(error.Message, missing);
            StringAssert.Contains(error.Message, "does not exist");
            Assert.ThrowsExactly<DirectoryNotFoundException>(() => FashionMnist.Load(DataSplit.Test));

            Environment.SetEnvironmentVariable(FashionMnist.DirectoryEnvironmentVariable, _directory); // exists, no files
            StringAssert.Contains(Assert.ThrowsExactly<DirectoryNotFoundException>(() => FashionMnist.FindDirectory()).Message, "lacks");

            // A directory passed explicitly wins over the variable.
            Assert.AreEqual(TestDatasets.FashionMnistSubsetDirectory, FashionMnist.FindDirectory(TestDatasets.FashionMnistSubsetDirectory));
        }
        finally
        {
            Environment.SetEnvironmentVariable(FashionMnist.DirectoryEnvironmentVariable, previous);
        }
    }

    [TestMethod]
    public void Load_DirectoryWithoutTheFiles_ThrowsDirectoryNotFoundWithInstallHint()
    {
        var exception = Assert.ThrowsExactly<DirectoryNotFoundException>(
            () => FashionMnist.Load(DataSplit.Train, _directory));

        Assert.Contains(_directory, exception.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", exception.Message);
        Assert.Contains("train-images-idx3-ubyte", exception.Message);
    }

    [TestMethod]
    public void Load_ImageAndLabelCountsDiffer_ThrowsNamingBothFiles()
    {
        string images = Path.Combine(_directory, "images-idx3-ubyte");
        string labels = Path.Combine(_directory, "labels-idx1-ubyte.gz");
        TestDatasets.WriteIdx(images, IdxReader.ImagesMagic, [3, 2, 2], new byte[12], gzip: false);
        TestDatasets.WriteIdx(labels, IdxReader.LabelsMagic, [4], new byte[4], gzip: true);

        var exception = Assert.ThrowsExactly<InvalidDataException>(
            () => FashionMnist.Load(images, labels, FashionMnist.ClassNames));

        Assert.Contains(images, exception.Message);
        Assert.Contains(labels, exception.Message);
    }

    [TestMethod]
    public void Load_LabelWithoutClassName_ThrowsNamingTheLabelFile()
    {
        string images = Path.Combine(_directory, "images-idx3-ubyte");
        string labels = Path.Combine(_directory, "labels-idx1-ubyte");
        TestDatasets.WriteIdx(images, IdxReader.ImagesMagic, [2, 2, 2], new byte[8], gzip: false);
        TestDatasets.WriteIdx(labels, IdxReader.LabelsMagic, [2], [1, 3], gzip: false);

        var exception = Assert.ThrowsExactly<InvalidDataException>(
            () => FashionMnist.Load(images, labels, ["zero", "one", "two"]));

        Assert.Contains(labels, exception.Message);
    }

    [TestMethod]
    public void Load_ExplicitPaths_UsesTheGivenClassNamesAndImageSize()
    {
        string images = Path.Combine(_directory, "images-idx3-ubyte");
        string labels = Path.Combine(_directory, "labels-idx1-ubyte");
        TestDatasets.WriteIdx(images, IdxReader.ImagesMagic, [2, 2, 3], [0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 0], gzip: false);
        TestDatasets.WriteIdx(labels, IdxReader.LabelsMagic, [2], [1, 0], gzip: false);

        ImageDataset data = FashionMnist.Load(images, labels, ["zero", "one"]);

        Assert.AreEqual(2, data.Height);
        Assert.AreEqual(3, data.Width);
        CollectionAssert.AreEqual(new[] { "zero", "one" }, data.ClassNames.ToArray());
        CollectionAssert.AreEqual(new[] { 1, 0 }, data.Labels);
        CollectionAssert.AreEqual(new[] { 0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f }, data.GetImage(0).ToArray());
    }

    [TestMethod]
    public void Load_InstalledDataset_GivesTheFullTestSplit()
    {
        if (FashionMnist.FindDirectory(FashionMnist.DefaultDirectory) is null)
        {
            Assert.Inconclusive($"Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory}.");
        }

        ImageDataset data = FashionMnist.Load(DataSplit.Test, FashionMnist.DefaultDirectory);
        ImageDataset subset = TestDatasets.LoadFashionMnistSubset(DataSplit.Test);

        Assert.AreEqual(10_000, data.Count);
        CollectionAssert.AreEqual(subset.Labels, data.Labels[..subset.Count]);
        CollectionAssert.AreEqual(subset.Pixels, data.Pixels[..subset.Pixels.Length]);
    }
}
