using System.Runtime.InteropServices;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// The C library's own environment, which native code reads (oneDNN reads <c>DNNL_MAX_CPU_ISA</c> with getenv). On Linux
/// and macOS it can differ from .NET's managed copy: <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// changes only the latter.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>True where the libc calls below are available.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>The native value of <paramref name="name"/>, or null when unset.</summary>
    public static string? Get(string name)
    {
        if (!IsSupported)
        {
            return Environment.GetEnvironmentVariable(name);
        }

        IntPtr value = getenv(name);
        return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
    }

    [DllImport("libc")]
    private static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
