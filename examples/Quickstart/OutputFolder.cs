namespace Quickstart;

/// <summary>
/// The folder the Quickstart writes its results into, checked before any training: the folder is created, every result
/// file can be created or overwritten there, and each is then written to a temporary file that replaces it, so that an
/// interrupted run leaves no partial result.
/// </summary>
internal sealed class OutputFolder
{
    public const string Model = "model.zip";
    public const string Network = "network.onnx";
    public const string Metrics = "metrics.json";
    public const string Paths = "paths.csv";

    private static readonly string[] Files = [Model, Network, Metrics, Paths];

    private OutputFolder(string directory) => Directory = directory;

    /// <summary>The folder, as a full path.</summary>
    public string Directory { get; }

    /// <summary>Creates <paramref name="directory"/> if needed and checks that every result file can be written there.</summary>
    /// <exception cref="IOException">Something cannot be written; the message names <c>--output</c> and the path.</exception>
    public static OutputFolder Prepare(string directory)
    {
        string full = Path.GetFullPath(directory);
        string current = full;
        try
        {
            System.IO.Directory.CreateDirectory(full);
            foreach (string name in Files)
            {
                current = Path.Combine(full, name);
                if (System.IO.Directory.Exists(current))
                {
                    throw new IOException("it is a folder");
                }

                // A probe next to the file (what the final rename needs), and the file itself opened for writing without
                // changing it when it already exists (it could be read-only).
                string probe = Path.Combine(full, $".{name}.{Guid.NewGuid():N}.probe");
                using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
                {
                }

                if (File.Exists(current))
                {
                    using var existing = new FileStream(current, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new IOException($"--output '{directory}': cannot write '{current}': {ex.Message}", ex);
        }

        return new OutputFolder(full);
    }

    /// <summary>The full path of result <paramref name="name"/>.</summary>
    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Writes result <paramref name="name"/> through a temporary file in the same folder that then replaces it.</summary>
    public void Write(string name, Action<string> writeTo)
    {
        string target = PathOf(name);
        string temporary = Path.Combine(Directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            writeTo(temporary);
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // nothing left when the write or the rename failed; no-op after a successful move
        }
    }
}
