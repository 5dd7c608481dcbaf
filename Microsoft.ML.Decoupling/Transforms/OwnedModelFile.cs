using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// A temporary ONNX file under <c>$TMPDIR/Microsoft.ML.Decoupling</c>, deleted on Dispose, by the finalizer of a
/// transformer that was never disposed, or when the process exits (finalizers do not run at exit in .NET). Files left by
/// processes that died (killed, crashed) are swept at the first use in a later process: each name carries its owner's
/// process id.
/// </summary>
internal sealed class OwnedModelFile : IDisposable
{
    private const string Prefix = "network-";
    // Paths, not instances: holding the instances would keep them alive and their finalizer would never run.
    private static readonly ConcurrentDictionary<string, byte> Live = new(StringComparer.Ordinal);
    private static readonly object SweepGate = new();
    private static bool _swept;

    static OwnedModelFile() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (string path in Live.Keys)
        {
            TryDelete(path);
        }
    };

    private OwnedModelFile(string path) => Path = path;

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>The folder of these files.</summary>
    internal static string Folder => System.IO.Path.Combine(System.IO.Path.GetTempPath(), "Microsoft.ML.Decoupling");

    /// <summary>Writes <paramref name="model"/> to a new file in <see cref="Folder"/>.</summary>
    public static OwnedModelFile Create(byte[] model)
    {
        Directory.CreateDirectory(Folder);
        SweepOnce();
        string path = System.IO.Path.Combine(Folder, string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}.onnx"));
        IO.AtomicFile.WriteAllBytes(path, model);
        Live[path] = 0;
        return new OwnedModelFile(path);
    }

    /// <summary>Deletes the file of a transformer that was never disposed, when it is collected.</summary>
    ~OwnedModelFile() => Delete();

    /// <inheritdoc/>
    public void Dispose()
    {
        Delete();
        GC.SuppressFinalize(this);
    }

    /// <summary>Deletes the files whose owning process is gone.</summary>
    internal static void SweepStaleFiles()
    {
        foreach (string file in Directory.EnumerateFiles(Folder, $"{Prefix}*.onnx"))
        {
            string name = System.IO.Path.GetFileNameWithoutExtension(file)[Prefix.Length..];
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out int owner) && !IsRunning(owner))
            {
                TryDelete(file);
            }
        }
    }

    private static void SweepOnce()
    {
        lock (SweepGate)
        {
            if (_swept)
            {
                return;
            }

            _swept = true;
        }

        SweepStaleFiles();
    }

    private static bool IsRunning(int processId)
    {
        if (processId == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private void Delete()
    {
        Live.TryRemove(Path, out _);
        TryDelete(Path);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a file still mapped elsewhere is left to the next sweep.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
