using Decoupling.Benchmarks;

namespace Microsoft.ML.Decoupling.Tests.Benchmarks;

/// <summary>A benchmark report names the machine it ran on.</summary>
[TestClass]
public sealed class ReportHeaderTests
{
    [TestMethod]
    public void Machine_NamesTheCpuOfProcCpuinfo()
    {
        if (!File.Exists("/proc/cpuinfo"))
        {
            Assert.Inconclusive("No /proc/cpuinfo on this machine.");
        }

        var first = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToList();
        string Value(string key) => first.First(l => l.Split(':')[0].Trim() == key).Split(':', 2)[1].Trim();
        bool avx512 = Value("flags").Split(' ').Contains("avx512f");

        string line = ReportHeader.Machine();

        StringAssert.StartsWith(line, $"Machine: {Value("model name")} (family {Value("cpu family")}, model {Value("model")}, stepping {Value("stepping")}; ");
        StringAssert.Contains(line, avx512 ? "; AVX-512)" : Value("flags").Split(' ').Contains("avx2") ? "; AVX2)" : "; no AVX2)");
        StringAssert.Contains(line, $", {Environment.ProcessorCount} logical CPUs; ");
    }

    [TestMethod]
    public void For_StartsWithTheCommandThenTheMachine()
    {
        string header = ReportHeader.For(["--inference", "--runs", "3"]);

        StringAssert.StartsWith(header, "Command: `dotnet run -c Release --project benchmarks/Decoupling.Benchmarks -- --inference --runs 3`\n\nMachine: ");
        StringAssert.EndsWith(header, " UTC.\n\n");
    }
}
