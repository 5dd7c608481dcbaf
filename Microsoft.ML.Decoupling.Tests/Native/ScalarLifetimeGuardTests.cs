using System.Runtime;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Native;
using Microsoft.ML.Decoupling.Seeding;
using Microsoft.ML.Decoupling.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

// The guard changes the process's GC latency mode: other tests' allocations would end its region, and their training
// steps would share it.
[TestClass]
[DoNotParallelize]
public sealed class ScalarLifetimeGuardTests
{
    private static readonly ImageShape Shape = new(1, 12, 12);

    /// <summary>Inconclusive where this runtime cannot give the guard its region (a heap limit below the budget).</summary>
    private static void RequireRegion(ScalarLifetimeGuard.Section section)
    {
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
        {
            section.Dispose();
            Assert.Inconclusive("This runtime's heap configuration gives no no-GC region of the guard's budget; the guard runs unguarded here.");
        }
    }

    [TestMethod]
    public void Section_CollectsNothingWithinItsBudget_AndRestoresTheLatencyMode()
    {
        var before = GCSettings.LatencyMode;
        int collections;
        var kept = new List<byte[]>();
        using (var section = ScalarLifetimeGuard.Enter())
        {
            RequireRegion(section);
            collections = GC.CollectionCount(0);
            // 8 MB in small arrays, a quarter of the budget: enough to trigger several gen-0 collections outside a region.
            for (int i = 0; i < 2048; i++)
            {
                kept.Add(new byte[4096]);
            }

            Assert.AreEqual(collections, GC.CollectionCount(0), "no collection inside the section");
        }

        Assert.AreEqual(before, GCSettings.LatencyMode);
        Assert.IsFalse(ScalarLifetimeGuard.IsHeld);
        GC.KeepAlive(kept);
    }

    [TestMethod]
    public void Sections_Nest_TheLastToLeaveEndsTheRegion()
    {
        var outer = ScalarLifetimeGuard.Enter();
        try
        {
            RequireRegion(outer);
            var inner = ScalarLifetimeGuard.Enter();
            var copy = inner;
            inner.Dispose();
            inner.Dispose(); // a second Dispose of the same section changes nothing
            Assert.IsTrue(ScalarLifetimeGuard.IsHeld);
            Assert.AreEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
            outer.Dispose();
            copy.Dispose(); // a copy disposed after all sections left: nothing is held, nothing breaks
        }
        finally
        {
            outer.Dispose();
        }

        Assert.IsFalse(ScalarLifetimeGuard.IsHeld);
        Assert.AreNotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [TestMethod]
    public void Section_PastItsBudget_LetsTheRuntimeCollect_AndLeavesWithoutThrowing()
    {
        var kept = new List<byte[]>();
        using (var section = ScalarLifetimeGuard.Enter())
        {
            RequireRegion(section);
            for (long allocated = 0; allocated < 2 * ScalarLifetimeGuard.Budget; allocated += 1 << 16)
            {
                kept.Add(new byte[1 << 16]);
                if (kept.Count > 64)
                {
                    kept.RemoveAt(0);
                }
            }

            Assert.AreNotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode, "the runtime ended the region");
        }

        Assert.IsFalse(ScalarLifetimeGuard.IsHeld);
        using (ScalarLifetimeGuard.Enter())
        {
            Assert.AreEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode, "the next section starts a region again");
        }
    }

    [TestMethod]
    public void QuickstartTrainingStep_AllocatesFarLessThanTheBudget()
    {
        // The Quickstart's network and batch: the guard protects a step only while the step stays inside the region.
        var shape = new ImageShape(1, 28, 28);
        using var network = NetworkArchitecture.Parse("vgg", "architecture").Build(shape, 10, gated: true, seed: 1);
        network.train();
        using var optimizer = optim.SGD(network.parameters(), 0.01, momentum: 0.9, weight_decay: 1e-4);
        using var noise = SeededGenerator.Create(1);
        var random = new Random(1);
        var pixels = Enumerable.Range(0, 128 * shape.Size).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, 128).Select(i => (long)(i % 10)).ToArray();
        var weights = new LossWeights(0.35, 1, 0.05, 0.5);
        TrainingStep.Run(network, optimizer, pixels, labels, weights, CPU, noise);
        long before = GC.GetAllocatedBytesForCurrentThread();
        TrainingStep.Run(network, optimizer, pixels, labels, weights, CPU, noise);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(ScalarLifetimeGuard.Budget / 8, allocated, $"{allocated} bytes in one step");
    }

    [TestMethod]
    public void ARegionStartedElsewhere_IsLeftToItsOwner()
    {
        if (!GC.TryStartNoGCRegion(1 << 20))
        {
            Assert.Inconclusive("This runtime gave no no-GC region of 1 MB.");
        }

        try
        {
            using (ScalarLifetimeGuard.Enter())
            {
                Assert.AreEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
            }

            Assert.AreEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode, "the guard did not end a region it did not start");
        }
        finally
        {
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }
    }

    [TestMethod]
    public void TrainingStepAndAttack_RunInsideASection_AndLeaveIt()
    {
        using var network = NetworkArchitecture.Vgg("4,8,M,8").Build(Shape, 3, gated: true, seed: 1);
        network.train();
        using var optimizer = optim.SGD(network.parameters(), 0.01, momentum: 0.9, weight_decay: 1e-4);
        using var noise = SeededGenerator.Create(1);
        var random = new Random(1);
        var pixels = Enumerable.Range(0, 8 * Shape.Size).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, 8).Select(i => (long)(i % 3)).ToArray();
        TrainingStep.Run(network, optimizer, pixels, labels, new LossWeights(0.5, 1, 0.05, 0.5), CPU, noise);
        Assert.IsFalse(ScalarLifetimeGuard.IsHeld);
        Assert.AreNotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);

        var attack = new FastGradientSignMethod(0.1);
        var result = attack.Run(network, pixels, labels.Select(l => (int)l).ToArray(), seed: 1);
        Assert.HasCount(labels.Length, result.Predicted);
        Assert.IsFalse(ScalarLifetimeGuard.IsHeld);
        Assert.AreNotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }
}
