using Microsoft.ML.Decoupling.Native;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class NativeAllocatorTests
{
    [TestMethod]
    public void UseTrainingSettings_AppliesOnGlibcAndIsANoOpElsewhere()
    {
        bool applied = NativeAllocator.UseTrainingSettings();

        Assert.AreEqual(NativeAllocator.IsGlibc, applied);
        if (OperatingSystem.IsLinux() && File.Exists("/usr/bin/ldd") && File.ReadAllText("/usr/bin/ldd").Contains("GNU C Library", StringComparison.Ordinal))
        {
            Assert.IsTrue(applied, "This Linux runs glibc: the settings must apply.");
        }

        // A second call is harmless (applications may call it from several entry points).
        Assert.AreEqual(applied, NativeAllocator.UseTrainingSettings());
    }
}
