namespace Microsoft.ML.Decoupling.Native;

/// <summary>The CPU as Linux describes it: the first processor's fields of /proc/cpuinfo.</summary>
internal static class CpuInfo
{
    /// <summary>The first processor's "key: value" fields in the file's order; empty where there is no /proc/cpuinfo.</summary>
    internal static IReadOnlyList<(string Key, string Value)> FirstProcessor()
    {
        if (!File.Exists("/proc/cpuinfo"))
        {
            return [];
        }

        var fields = new List<(string Key, string Value)>();
        foreach (string line in File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }
        }

        return fields;
    }
}
