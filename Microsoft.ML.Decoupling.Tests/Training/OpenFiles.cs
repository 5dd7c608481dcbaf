namespace Microsoft.ML.Decoupling.Tests;

/// <summary>The files this process holds open under a folder, named or not (Linux: the links of /proc/self/fd).</summary>
internal static class OpenFiles
{
    /// <summary>Open handles whose file lies in <paramref name="folder"/>, including files whose name was removed.</summary>
    public static int CountUnder(string folder)
    {
        string prefix = Path.GetFullPath(folder).TrimEnd('/') + "/";
        int count = 0;
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(prefix, StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while it was listed.
            }
        }

        return count;
    }
}
