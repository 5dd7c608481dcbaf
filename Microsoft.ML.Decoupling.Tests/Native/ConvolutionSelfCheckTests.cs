using Microsoft.ML.Decoupling.Native;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class ConvolutionSelfCheckTests
{
    private static readonly ConvolutionCheckCase[] TwoCases = [new(4, 8, 4, 8, 1), new(2, 16, 16, 8, 2)];

    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("conv-check-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void Compare_FindsAFaultyImplementationAndAcceptsAHealthyOne()
    {
        Assert.AreEqual(0, ConvolutionCheck.Compare(TwoCases, ScalarType.Float64, ScalarType.Float64).Count, "float64 against itself");

        // A reference whose input gradient is off by 1% of its scale: every case fails on that quantity only.
        var failures = ConvolutionCheck.Compare(TwoCases, Float64, (c, x, w, g) =>
        {
            var r = Float64(c, x, w, g);
            r[1] = r[1] + (0.01 * r[1].abs().max());
            return r;
        });
        CollectionAssert.AreEqual(TwoCases, failures.Select(f => f.Case).ToArray());
        Assert.IsTrue(failures.All(f => f.Quantity == "input gradient" && f.Error > 0.005 * f.Scale), string.Join("; ", failures));

        var nan = ConvolutionCheck.Compare(TwoCases, (c, x, w, g) =>
        {
            var r = Float64(c, x, w, g);
            r[0] = r[0].clone().index_put_(double.NaN, 0);
            return r;
        }, Float64);
        Assert.AreEqual(2, nan.Count);
        Assert.IsTrue(nan.All(f => f.Quantity == "output" && double.IsNaN(f.Error)));
    }

    [TestMethod]
    public void Compare_ToleratesFloat32Rounding()
    {
        // Healthy float32 kernels (whatever configuration this process uses after the self-check) stay within tolerance.
        ConvolutionSelfCheck.EnsureCorrect();
        Assert.AreEqual(0, ConvolutionCheck.Compare(ConvolutionCheck.Cases, ScalarType.Float32, ScalarType.Float64).Count);
    }

    [TestMethod]
    public void EnsureCorrect_LeavesThisProcessWithConvolutionsThatPassTheCheck()
    {
        var result = ConvolutionSelfCheck.EnsureCorrect();
        Assert.AreSame(result, ConvolutionSelfCheck.EnsureCorrect(), "once per process");
        if (result.Verdict == ConvolutionSelfCheckVerdict.Skipped)
        {
            Assert.Inconclusive($"{ConvolutionSelfCheck.ModeVariable}=skip is set.");
        }

        var failures = ConvolutionCheck.Run();
        Assert.AreEqual(0, failures.Count, $"{result.Verdict}: {result.Summary}; still failing: {string.Join("; ", failures)}");
    }

    [TestMethod]
    public void Guard_OnAFaultySwitchesOneDnnOffCachesTheVerdictAndWarns()
    {
        bool disabled = false;
        var cache = Cache();
        var guard = new ConvolutionFaultGuard(() => disabled ? [] : [Failure()], () => disabled = true, cache, restriction: null, restrictionIsOurs: false);
        var result = guard.Ensure(ConvolutionSelfCheckMode.Auto);
        Assert.IsTrue(disabled);
        Assert.AreEqual(ConvolutionSelfCheckVerdict.FaultAvoided, result.Verdict);
        Assert.IsTrue(result.IsWarning);
        StringAssert.Contains(result.Summary, "input gradient of conv2d (batch 32, 8→4 channels");
        StringAssert.Contains(result.Summary, "oneDNN is now switched off");
        StringAssert.Contains(result.Summary, "DNNL_MAX_CPU_ISA=SSE41");
        Assert.IsTrue(cache.Read() is { Faulty: true }, "the next process starts with the workaround");
        Assert.AreEqual(1, Directory.GetFiles(Path.GetDirectoryName(cache.FilePath)!).Length, "one verdict file, no temporary left");
    }

    [TestMethod]
    public void Guard_ThrowsWhenNoConfigurationPasses()
    {
        var cannotSwitch = new ConvolutionFaultGuard(() => [Failure()], () => false, Cache(), null, false);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => cannotSwitch.Ensure(ConvolutionSelfCheckMode.Auto));
        StringAssert.Contains(error.Message, "DNNL_MAX_CPU_ISA=SSE41");

        var stillWrong = new ConvolutionFaultGuard(() => [Failure()], () => true, Cache(), null, false);
        error = Assert.ThrowsExactly<InvalidOperationException>(() => stillWrong.Ensure(ConvolutionSelfCheckMode.Auto));
        StringAssert.Contains(error.Message, "still wrong");
    }

    [TestMethod]
    public void Guard_TrustsAPassingCachedVerdictOnlyInAutoMode()
    {
        var cache = Cache();
        int runs = 0;
        var guard = new ConvolutionFaultGuard(() => { runs++; return []; }, () => throw new AssertFailedException("not faulty"), cache, null, false);
        Assert.AreEqual(ConvolutionSelfCheckVerdict.Skipped, guard.Ensure(ConvolutionSelfCheckMode.Skip).Verdict);
        Assert.AreEqual(0, runs);
        Assert.IsNull(cache.Read(), "a skipped check stores nothing");

        Assert.AreEqual(ConvolutionSelfCheckVerdict.Passed, guard.Ensure(ConvolutionSelfCheckMode.Auto).Verdict);
        Assert.AreEqual(1, runs);
        Assert.IsTrue(cache.Read() is { Faulty: false });
        Assert.AreEqual(ConvolutionSelfCheckVerdict.PassedEarlier, guard.Ensure(ConvolutionSelfCheckMode.Auto).Verdict);
        Assert.AreEqual(1, runs, "a cached pass is not re-run");
        Assert.AreEqual(ConvolutionSelfCheckVerdict.Passed, guard.Ensure(ConvolutionSelfCheckMode.Force).Verdict);
        Assert.AreEqual(2, runs, "force re-runs");
    }

    [TestMethod]
    public void Guard_UnderTheCachedInstructionSetLimitWarnsAndKeepsTheFaultyVerdict()
    {
        var cache = Cache();
        cache.Write(faulty: true, "found earlier");
        var ours = new ConvolutionFaultGuard(() => [], () => throw new AssertFailedException("the limit passes"), cache, "DNNL_MAX_CPU_ISA=SSE41", restrictionIsOurs: true);
        var result = ours.Ensure(ConvolutionSelfCheckMode.Auto);
        Assert.AreEqual(ConvolutionSelfCheckVerdict.FaultAvoided, result.Verdict);
        StringAssert.Contains(result.Summary, "found earlier");
        StringAssert.Contains(result.Summary, ConvolutionSelfCheck.ModeVariable + "=force");
        Assert.IsTrue(cache.Read() is { Faulty: true }, "a pass under a limit says nothing about the full instruction set");

        var users = new ConvolutionFaultGuard(() => [], () => false, Cache(), "DNNL_MAX_CPU_ISA=AVX2", restrictionIsOurs: false);
        Assert.AreEqual(ConvolutionSelfCheckVerdict.Passed, users.Ensure(ConvolutionSelfCheckMode.Auto).Verdict);
    }

    [TestMethod]
    public void Guard_ChecksAUsersLimitEvenWhenTheDefaultsPassedEarlier()
    {
        // The cached pass is about libtorch's defaults; a user's limit runs other kernels, so it is checked, and what that
        // check finds is not stored as this machine's verdict.
        var cache = Cache();
        cache.Write(faulty: false, "defaults passed");
        int runs = 0;
        var passing = new ConvolutionFaultGuard(() => { runs++; return []; }, () => throw new AssertFailedException("the limit passes"), cache, "DNNL_MAX_CPU_ISA=AVX2", restrictionIsOurs: false);
        var passed = passing.Ensure(ConvolutionSelfCheckMode.Auto);
        Assert.AreEqual(ConvolutionSelfCheckVerdict.Passed, passed.Verdict);
        Assert.AreEqual(1, runs, "checked despite the cached pass");
        StringAssert.Contains(passed.Summary, "DNNL_MAX_CPU_ISA=AVX2");

        bool disabled = false;
        var failing = new ConvolutionFaultGuard(() => disabled ? [] : [Failure()], () => disabled = true, cache, "DNNL_MAX_CPU_ISA=AVX2", restrictionIsOurs: false);
        var avoided = failing.Ensure(ConvolutionSelfCheckMode.Auto);
        Assert.AreEqual(ConvolutionSelfCheckVerdict.FaultAvoided, avoided.Verdict);
        Assert.IsTrue(disabled, "oneDNN switched off");
        StringAssert.Contains(avoided.Summary, "DNNL_MAX_CPU_ISA=AVX2 did not avoid the fault");
        Assert.IsTrue(cache.Read() is { Faulty: false, Details: "defaults passed" }, "the defaults' verdict stays");
    }

    [TestMethod]
    public void VerdictCache_IsPerMachineAndIgnoresACorruptFile()
    {
        var a = new ConvolutionVerdictCache(_folder, "cpu A");
        var b = new ConvolutionVerdictCache(_folder, "cpu B");
        Assert.AreNotEqual(a.FilePath, b.FilePath);
        a.Write(faulty: true, "x");
        Assert.IsNull(b.Read());
        File.WriteAllText(a.FilePath, "{ not json");
        Assert.IsNull(a.Read(), "a corrupt verdict means: check again");
        StringAssert.Contains(ConvolutionVerdictCache.MachineDescription(), "torchsharp=");
    }

    private ConvolutionVerdictCache Cache() => new(Path.Combine(_folder, Guid.NewGuid().ToString("N")[..8]), "test machine");

    private static ConvolutionCheckFailure Failure() => new(ConvolutionCheck.Cases[0], "input gradient", double.NaN, 3.5);

    private static Tensor[] Float64(ConvolutionCheckCase c, Tensor x, Tensor w, Tensor g)
    {
        using var enableGrad = enable_grad();
        var input = x.detach().requires_grad_(true);
        var weight = w.detach().requires_grad_(true);
        var y = nn.functional.conv2d(input, weight, strides: [c.Stride, c.Stride], padding: [1, 1]);
        (y * g).sum().backward();
        return [y.detach(), input.grad!, weight.grad!];
    }
}
