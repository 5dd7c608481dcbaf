namespace Microsoft.ML.Decoupling.IO;

/// <summary>
/// The one way this package writes a file: into a hidden temporary file in the target's folder, flushed to disk, then
/// renamed over the target. A reader never sees a partial file, a failed write leaves no file behind and an existing
/// target untouched.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="fullPath"/> (whose folder must exist) with <paramref name="write"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="fullPath"/> does not exist or is a file
    /// (the message names the file and the folder, not the hidden temporary file).</exception>
    /// <exception cref="IOException"><paramref name="fullPath"/> is a folder, or the file system refused the temporary
    /// file or the rename (the message names <paramref name="fullPath"/> first).</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written (the message names <paramref name="fullPath"/> first).</exception>
    public static void Write(string fullPath, Action<Stream> write)
    {
        OutputFilePath.RequireFolder(fullPath);
        string folder = Path.GetDirectoryName(fullPath)!;

        if (Directory.Exists(fullPath))
        {
            throw new IOException($"Cannot write '{fullPath}': it is a folder; expected the path of a file.");
        }

        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = NamingTheTarget(fullPath, () => new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None)))
            {
                write(stream);
                NamingTheTarget(fullPath, () => stream.Flush(flushToDisk: true));
            }

            NamingTheTarget(fullPath, () => File.Move(temporary, fullPath, overwrite: true)); // Atomic on one file system.
        }
        finally
        {
            try
            {
                if (File.Exists(temporary))
                {
                    File.Delete(temporary);
                }
            }
            catch (IOException)
            {
                // The original exception matters more than a leftover temporary file.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    // The file system's own messages name the hidden temporary file; the caller knows only the target.
    private static T NamingTheTarget<T>(string fullPath, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"Cannot write '{fullPath}': {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"Cannot write '{fullPath}': {ex.Message}", ex);
        }
    }

    private static void NamingTheTarget(string fullPath, Action action) => NamingTheTarget(fullPath, () =>
    {
        action();
        return true;
    });

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="fullPath"/> atomically.</summary>
    public static void WriteAllBytes(string fullPath, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(fullPath, stream => stream.Write(copy));
    }
}
