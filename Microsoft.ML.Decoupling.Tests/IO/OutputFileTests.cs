using Microsoft.ML.Decoupling.IO;

namespace Microsoft.ML.Decoupling.Tests.IO;

/// <summary>A file that cannot be written is refused naming the file the caller asked for, and what is wrong.</summary>
[TestClass]
public sealed class OutputFileTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = TestDatasets.CreateTempDirectory("decoupling-output-file");

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void Resolve_NamesTheKindOfFile_AndAFolderThatIsAFile()
    {
        string aFile = Path.Combine(_folder, "a-file");
        File.WriteAllText(aFile, "not a folder");

        var folder = Assert.ThrowsExactly<ArgumentException>(() => OutputFilePath.Resolve(_folder, "path", OutputFilePath.ModelFile));
        StringAssert.Contains(folder.Message, "is a folder; expected the path of the .zip model file to write");
        Assert.AreEqual("path", folder.ParamName);

        string underAFile = Path.Combine(aFile, "model.zip");
        var notAFolder = Assert.ThrowsExactly<DirectoryNotFoundException>(() => OutputFilePath.Resolve(underAFile, "path", OutputFilePath.ModelFile));
        Assert.AreEqual($"Cannot write '{underAFile}': '{aFile}' is a file, not a folder.", notAFolder.Message);

        string missing = Path.Combine(_folder, "missing", "network.onnx");
        StringAssert.Contains(Assert.ThrowsExactly<DirectoryNotFoundException>(() => OutputFilePath.Resolve(missing, "path", OutputFilePath.OnnxFile)).Message,
            $"the folder '{Path.Combine(_folder, "missing")}' does not exist");
        Assert.AreEqual(Path.Combine(_folder, "ok.onnx"), OutputFilePath.Resolve(Path.Combine(_folder, "ok.onnx"), "path", OutputFilePath.OnnxFile));
    }

    [TestMethod]
    public void AtomicWrite_TheFileSystemRefuses_MessageNamesTheTargetFirst_AndNothingIsLeft()
    {
        // /proc takes no new files, even from root (CI runs as root, so file permissions cannot make this case).
        if (!Directory.Exists("/proc/self"))
        {
            Assert.Inconclusive("Needs Linux's /proc.");
        }

        string target = "/proc/decoupling-output-file-test.onnx";
        var error = Assert.Throws<Exception>(() => AtomicFile.WriteAllBytes(target, [1, 2, 3]));
        Assert.IsTrue(error is IOException or UnauthorizedAccessException, error.GetType().Name);
        StringAssert.StartsWith(error.Message, $"Cannot write '{target}': ");
        Assert.IsFalse(File.Exists(target));
        Assert.IsEmpty(Directory.GetFiles("/proc", ".decoupling-output-file-test.onnx.*"));
    }
}
