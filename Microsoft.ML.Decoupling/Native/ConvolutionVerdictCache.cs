using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Decoupling.IO;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// The self-check's verdict for one machine: a small JSON file in <see cref="TorchNativeLoader.CacheDirectory"/> whose name
/// hashes the CPU (vendor, family, model, stepping, name, flags) and the libtorch build, so another CPU or another
/// libtorch is checked afresh.
/// </summary>
internal sealed class ConvolutionVerdictCache
{
    internal ConvolutionVerdictCache(string directory, string machine)
    {
        Machine = machine;
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(machine)))[..16].ToLowerInvariant();
        FilePath = Path.Combine(directory, $"convolution-check-{key}.json");
    }

    /// <summary>The description the file name hashes.</summary>
    public string Machine { get; }

    /// <summary>The verdict file.</summary>
    public string FilePath { get; }

    /// <summary>The cache of this machine and this libtorch.</summary>
    public static ConvolutionVerdictCache ForThisMachine() => new(TorchNativeLoader.CacheDirectory, MachineDescription());

    /// <summary>The stored verdict, or null when there is none or it cannot be read (then the check runs again).</summary>
    public CachedConvolutionVerdict? Read()
    {
        try
        {
            return File.Exists(FilePath) ? JsonSerializer.Deserialize<CachedConvolutionVerdict>(File.ReadAllText(FilePath)) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Stores a verdict; a cache that cannot be written only means the check runs again next time.</summary>
    public void Write(bool faulty, string details)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            var verdict = new CachedConvolutionVerdict(faulty, details, Machine, DateTime.UtcNow);
            AtomicFile.WriteAllBytes(FilePath, JsonSerializer.SerializeToUtf8Bytes(verdict));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>CPU identity (from /proc/cpuinfo where there is one) and libtorch build (TorchSharp version, libtorch_cpu size).</summary>
    internal static string MachineDescription()
    {
        var cpu = new StringBuilder();
        var fields = CpuInfo.FirstProcessor();
        if (fields.Count > 0)
        {
            string[] keys = ["vendor_id", "cpu family", "model", "model name", "stepping", "flags"];
            foreach (var (key, value) in fields.Where(f => keys.Contains(f.Key)))
            {
                cpu.Append(key).Append('=').Append(value).Append(';');
            }
        }
        else
        {
            cpu.Append(System.Runtime.InteropServices.RuntimeInformation.OSDescription).Append(';')
               .Append(Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER")).Append(';');
        }

        string torchSharp = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?";
        long libtorchSize = TorchNativeLoader.FindNativeLibrary("libtorch_cpu") is { } path ? new FileInfo(path).Length : -1;
        return $"{cpu}torchsharp={torchSharp};libtorch_cpu_bytes={libtorchSize}";
    }
}
