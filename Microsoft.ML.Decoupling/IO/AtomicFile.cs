namespace Microsoft.ML.Decoupling.IO;

/// <summary>
/// The one way this package writes a file: into a hidden temporary file in the target's folder, flushed to disk, then
/// renamed over the target. A reader never sees a partial file, a failed write leaves no file behind and an existing
/// target untouched.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="fullPath"/> (whose folder must exist) with <paramref name="write"/>.</summary>
    public static void Write(string fullPath, Action<Stream> write)
    {
        string folder = Path.GetDirectoryName(fullPath)!;
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true); // Atomic on one file system.
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

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="fullPath"/> atomically.</summary>
    public static void WriteAllBytes(string fullPath, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(fullPath, stream => stream.Write(copy));
    }
}
