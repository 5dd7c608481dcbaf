using Microsoft.ML.Decoupling.Native;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public static class TorchTestSetup
{
    [AssemblyInitialize]
    public static void Initialize(TestContext context)
    {
        _ = context;
        TorchNativeLoader.EnsureTorch();
        // Some tests run convolutions directly (not through the trainer, the attacks or NetworkInference, which check
        // first): make this process's convolutions trustworthy before any of them, whatever the test order.
        var check = ConvolutionSelfCheck.EnsureCorrect(context.WriteLine);
        context.WriteLine($"Convolution self-check: {check.Verdict}. {check.Summary}");
    }
}
