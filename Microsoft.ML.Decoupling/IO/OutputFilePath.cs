namespace Microsoft.ML.Decoupling.IO;

/// <summary>Checks the path of a file to write before any work is done, naming the path and what is wrong with it.</summary>
internal static class OutputFilePath
{
    /// <summary>What <see cref="Resolve"/> calls an ONNX file in its messages.</summary>
    public const string OnnxFile = "the .onnx file";

    /// <summary>What <see cref="Resolve"/> calls an ML.NET model file in its messages.</summary>
    public const string ModelFile = "the .zip model file";

    /// <summary>The full path of <paramref name="path"/>, once it is known to name a file in an existing folder.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="parameterName">The caller's parameter, for the exception.</param>
    /// <param name="fileKind">What the file is, for the message (<see cref="OnnxFile"/>, <see cref="ModelFile"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist, or is a file.</exception>
    public static string Resolve(string path, string parameterName, string fileKind)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException($"Expected the path of {fileKind} to write; it was empty.", parameterName);
        }

        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new ArgumentException($"'{path}' is a folder; expected the path of {fileKind} to write.", parameterName);
        }

        if (Path.GetDirectoryName(fullPath) is null)
        {
            throw new ArgumentException($"'{path}' is a root folder; expected the path of {fileKind} to write.", parameterName);
        }

        RequireFolder(fullPath);
        return fullPath;
    }

    /// <summary>The folder of <paramref name="fullPath"/> exists.</summary>
    /// <exception cref="DirectoryNotFoundException">It does not, or it is a file (the message names the file to write and the folder).</exception>
    public static void RequireFolder(string fullPath)
    {
        string folder = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(File.Exists(folder)
                ? $"Cannot write '{fullPath}': '{folder}' is a file, not a folder."
                : $"Cannot write '{fullPath}': the folder '{folder}' does not exist.");
        }
    }
}
