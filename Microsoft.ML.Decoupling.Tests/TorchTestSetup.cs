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
        // Two cores on CI: keep libtorch from oversubscribing them when tests run in parallel.
        TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
    }
}
