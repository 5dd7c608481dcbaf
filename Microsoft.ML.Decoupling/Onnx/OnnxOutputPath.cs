namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>Checks the path of an .onnx file to write before any work is done.</summary>
internal static class OnnxOutputPath
{
    /// <summary>The full path of <paramref name="path"/>, once it is known to name a file in an existing folder.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static string Resolve(string path, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("Expected the path of the .onnx file to write; it was empty.", parameterName);
        }

        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new ArgumentException($"'{path}' is a folder; expected the path of the .onnx file to write.", parameterName);
        }

        string folder = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{path}' is a root folder; expected the path of the .onnx file to write.", parameterName);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Cannot write the ONNX model to '{path}': the folder '{folder}' does not exist.");
        }

        return fullPath;
    }
}
