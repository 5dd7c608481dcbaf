using Microsoft.ML.Decoupling.Native;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class NativePackageCheckTests
{
    [TestMethod]
    public void MissingOnnxRuntime_NamesBothPackagesAndStopsBeforeTraining()
    {
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => NativePackageCheck.RequireOnnxRuntime(() => false));
        StringAssert.Contains(ex.Message, "'Microsoft.ML.OnnxRuntime'");
        StringAssert.Contains(ex.Message, "'Microsoft.ML.OnnxRuntime.Gpu'");
        StringAssert.Contains(ex.Message, "before training");
    }

    [TestMethod]
    public void OnnxRuntimeReferencedByTheTests_Loads()
    {
        // The test project references Microsoft.ML.OnnxRuntime, as an application must: the check passes, and the native
        // library it found is the served version (a stray or missing native library fails here, not in a later test).
        NativePackageCheck.EnsureOnnxRuntime();
        string version = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString();
        var managed = typeof(Microsoft.ML.OnnxRuntime.OrtEnv).Assembly.GetName().Version!;
        Assert.StartsWith($"{managed.Major}.{managed.Minor}.", version, $"ONNX Runtime native {version} under the managed API {managed}.");
    }

    [TestMethod]
    public void TorchSharpLoadTrace_IsCutToItsFirstLine()
    {
        string trace = "\nThis application uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64.\n  Trace: tried a\n  Trace: tried b\n";
        Assert.AreEqual("This application uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64.", TorchNativeLoader.FirstLine(trace));
    }
}
