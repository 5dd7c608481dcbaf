using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Makes TorchSharp's native bridge (libLibTorchSharp.so) load on Linux systems whose libstdc++ predates GCC 13.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 requires GLIBCXX_3.4.32 only for <c>std::ios_base_library_init()</c>, a link-time anchor that no
/// relocation references. When (and only when) the process's libstdc++ lacks that version, a copy of the bridge
/// with the requirement marked weak is written to a per-user cache directory and handed to TorchSharp through a
/// DllImport resolver. The original file (possibly in the NuGet cache) is never modified. This runs when the assembly
/// loads (a module initializer), because TorchSharp loads its bridge by path before any DllImport resolver is asked;
/// a lazier hook was tried and does not work.
/// </remarks>
internal static class TorchNativeLoader
{
    private const string BridgeName = "LibTorchSharp";
    private const string BridgeFileName = "libLibTorchSharp.so";
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private static readonly object Gate = new();
    private static bool _done;
    private static IntPtr _patchedHandle;

    /// <summary>Where patched copies are cached: <c>$XDG_CACHE_HOME</c> (or <c>~/.cache</c>)<c>/Microsoft.ML.Decoupling/native</c>.</summary>
    public static string CacheDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root))
            {
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            }

            return Path.Combine(root, "Microsoft.ML.Decoupling", "native");
        }
    }

#pragma warning disable CA2255 // Deliberate: TorchSharp must be loadable before any user code touches it.
    [ModuleInitializer]
    internal static void InitializeOnAssemblyLoad()
#pragma warning restore CA2255
    {
        try
        {
            // Before libtorch is loaded: oneDNN reads its instruction-set limit once, at its first convolution.
            ConvolutionSelfCheck.ApplyCachedWorkaround();
        }
        catch (Exception)
        {
            // Never fail assembly load; the self-check runs (and reports) before training.
        }

        try
        {
            EnsureLoadable();
        }
        catch (Exception)
        {
            // Never fail assembly load; EnsureTorch() reports the problem with a clear message when torch is used.
        }
    }

    /// <summary>
    /// Prepares the native bridge (idempotent) and checks that TorchSharp's native libraries load.
    /// </summary>
    /// <exception cref="InvalidOperationException">libtorch or the bridge cannot be loaded; the message says why and what to install.</exception>
    public static void EnsureTorch()
    {
        EnsureLoadable();
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
        }
        catch (Exception ex) when (ex is not InvalidOperationException)
        {
            throw new InvalidOperationException(
                "TorchSharp's native libraries could not be loaded. The application must reference a libtorch package " +
                "(for example 'libtorch-cpu-linux-x64' 2.10.0 or 'TorchSharp-cpu' 0.107.0). Supported: Linux x64 " +
                "(glibc; libstdc++ from GCC 12 or later), Windows x64, macOS arm64. See the README, 'Native packages'. " +
                "TorchSharp says: " + FirstLine(ex.Message) + " (its full load trace is in the inner exception)", ex);
        }
    }

    /// <summary>The first non-empty line of TorchSharp's message; the rest is a load trace of some 70 lines.</summary>
    internal static string FirstLine(string message) =>
        message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;

    private static void EnsureLoadable()
    {
        lock (Gate)
        {
            if (_done)
            {
                return;
            }

            _done = true;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || SystemLibStdCxxHas(MissingVersion))
            {
                return;
            }

            string? original = FindBridge();
            if (original is null)
            {
                return; // TorchSharp reports a missing native package itself.
            }

            string patched = GetOrCreatePatchedCopy(original);
            if (patched == original)
            {
                return;
            }

            // Load the bridge's libtorch dependencies from their own folder first, so the copy's DT_NEEDED entries
            // (libtorch.so, libc10.so, libtorch_cpu.so) resolve to the already loaded libraries by soname.
            string? libtorch = FindNextTo(original, "libtorch.so");
            if (libtorch is not null)
            {
                NativeLibrary.Load(libtorch);
            }

            _patchedHandle = NativeLibrary.Load(patched);
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == BridgeName || libraryName == BridgeFileName ? _patchedHandle : IntPtr.Zero;

    private static bool SystemLibStdCxxHas(string version)
    {
        // The host (a C++ program) has libstdc++ mapped already; read the file it mapped.
        NativeLibrary.TryLoad("libstdc++.so.6", out _);
        string? path = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length >= 6 && parts[5].Contains("libstdc++.so", StringComparison.Ordinal))
            .Select(parts => parts[5])
            .FirstOrDefault();
        if (path is null || !File.Exists(path))
        {
            return true; // Cannot tell: leave TorchSharp's own loading untouched.
        }

        byte[] needle = System.Text.Encoding.ASCII.GetBytes(version + "\0");
        return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
    }

    private static string? FindBridge()
    {
        string baseDir = AppContext.BaseDirectory;
        string torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? baseDir;
        string[] candidates =
        [
            Path.Combine(baseDir, BridgeFileName),
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", BridgeFileName),
            Path.Combine(torchDir, BridgeFileName),
            Path.Combine(torchDir, "runtimes", "linux-x64", "native", BridgeFileName),
            Path.Combine(torchDir, "..", "..", "runtimes", "linux-x64", "native", BridgeFileName),
        ];
        return candidates.Where(File.Exists).Select(Path.GetFullPath).FirstOrDefault();
    }

    /// <summary>The file of native library <paramref name="baseName"/> (e.g. "libtorch_cpu") that TorchSharp will load, if found.</summary>
    internal static string? FindNativeLibrary(string baseName)
    {
        string fileName = OperatingSystem.IsWindows() ? baseName.Replace("lib", string.Empty, StringComparison.Ordinal) + ".dll"
            : OperatingSystem.IsMacOS() ? baseName + ".dylib"
            : baseName + ".so";
        string? bridge = FindBridge();
        return bridge is null ? FindNextTo(Path.Combine(AppContext.BaseDirectory, BridgeFileName), fileName) : FindNextTo(bridge, fileName);
    }

    private static string? FindNextTo(string bridge, string fileName)
    {
        string dir = Path.GetDirectoryName(bridge)!;
        string[] candidates =
        [
            Path.Combine(dir, fileName),
            Path.Combine(AppContext.BaseDirectory, fileName),
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", fileName),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    private static string GetOrCreatePatchedCopy(string original)
    {
        byte[] bytes = File.ReadAllBytes(original);
        string hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        string directory = Path.Combine(CacheDirectory, hash);
        string target = Path.Combine(directory, BridgeFileName);
        if (File.Exists(target))
        {
            return target;
        }

        if (!ElfVersionNeedPatcher.MarkVersionWeak(bytes, MissingVersion))
        {
            return original; // This build of the bridge does not need the missing version.
        }

        Directory.CreateDirectory(directory);
        IO.AtomicFile.WriteAllBytes(target, bytes);
        return target;
    }
}
