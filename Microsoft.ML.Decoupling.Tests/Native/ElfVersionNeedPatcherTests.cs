using Microsoft.ML.Decoupling.Native;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class ElfVersionNeedPatcherTests
{
    private static string? FindBridge() =>
        new[]
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
        }.FirstOrDefault(File.Exists);

    [TestMethod]
    public void MarkVersionWeak_ChangesOnlyTheFlagsOfTheNamedVersion()
    {
        string? bridge = FindBridge();
        if (bridge is null)
        {
            Assert.Inconclusive("libLibTorchSharp.so (linux-x64) is not next to the tests.");
        }

        byte[] original = File.ReadAllBytes(bridge);
        byte[] patched = (byte[])original.Clone();
        Assert.IsTrue(ElfVersionNeedPatcher.MarkVersionWeak(patched, "GLIBCXX_3.4.32"));
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        Assert.AreEqual(1, changed.Length, "only the low byte of one vna_flags field changes");
        Assert.AreEqual(original[changed[0]] | 0x2, patched[changed[0]]);

        byte[] again = (byte[])patched.Clone();
        Assert.IsTrue(ElfVersionNeedPatcher.MarkVersionWeak(again, "GLIBCXX_3.4.32"));
        CollectionAssert.AreEqual(patched, again, "patching is idempotent");
        Assert.IsFalse(ElfVersionNeedPatcher.MarkVersionWeak((byte[])original.Clone(), "GLIBCXX_9.9.99"));
        CollectionAssert.AreEqual(original, File.ReadAllBytes(bridge), "the library next to the tests is never modified");
    }

    [TestMethod]
    public void MarkVersionWeak_RejectsFilesThatAreNotElf64()
    {
        Assert.ThrowsExactly<InvalidDataException>(() => ElfVersionNeedPatcher.MarkVersionWeak(new byte[128], "GLIBCXX_3.4.32"));
    }
}
