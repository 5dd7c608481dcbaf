using System.Globalization;
using Microsoft.ML.Decoupling.Native;

namespace Decoupling.Benchmarks;

/// <summary>
/// The first lines of every benchmark report: the command that made it and the machine it ran on (CPU model,
/// family/model/stepping, widest vector extension, logical CPUs, date), so that a results file names its CPU itself.
/// </summary>
internal static class ReportHeader
{
    /// <summary>The command line and machine lines, each followed by a blank line.</summary>
    public static string For(IEnumerable<string> args) =>
        $"Command: `dotnet run -c Release --project benchmarks/Decoupling.Benchmarks -- {string.Join(' ', args)}`\n\n{Machine()}\n\n";

    /// <summary>"Machine: AMD EPYC (family 26, model 2, stepping 1; AVX-512), 2 logical CPUs; 2026-12-07 UTC."</summary>
    internal static string Machine()
    {
        var fields = new Dictionary<string, string>();
        foreach (var (key, value) in CpuInfo.FirstProcessor())
        {
            fields.TryAdd(key, value);
        }

        string Field(string key) => fields.TryGetValue(key, out var value) ? value : "?";
        var flags = Field("flags").Split(' ');
        string vector = flags.Contains("avx512f") ? "AVX-512" : flags.Contains("avx2") ? "AVX2" : "no AVX2";
        string cpu = fields.Count == 0
            ? System.Runtime.InteropServices.RuntimeInformation.OSDescription
            : $"{Field("model name")} (family {Field("cpu family")}, model {Field("model")}, stepping {Field("stepping")}; {vector})";
        return string.Create(CultureInfo.InvariantCulture, $"Machine: {cpu}, {Environment.ProcessorCount} logical CPUs; {DateTime.UtcNow:yyyy-MM-dd} UTC.");
    }
}
