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
    }
}
