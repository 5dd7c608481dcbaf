namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>A temporary ONNX file under the system temp folder, deleted on Dispose.</summary>
internal sealed class OwnedModelFile : IDisposable
{
    private OwnedModelFile(string path) => Path = path;

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Writes <paramref name="model"/> to a new file in <c>$TMPDIR/Microsoft.ML.Decoupling</c>.</summary>
    public static OwnedModelFile Create(byte[] model)
    {
        string directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "Microsoft.ML.Decoupling");
        Directory.CreateDirectory(directory);
        string path = System.IO.Path.Combine(directory, $"network-{Guid.NewGuid():N}.onnx");
        IO.AtomicFile.WriteAllBytes(path, model);
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

    private void Delete()
    {
        try
        {
            File.Delete(path: Path);
        }
        catch (IOException)
        {
            // Best effort: a file still mapped elsewhere is left to the temp folder's cleanup.
        }
    }
}
