using System.Runtime.InteropServices;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// The C library's own environment. On Linux and macOS, .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// changes only the runtime's managed copy, which native code (oneDNN reads <c>DNNL_MAX_CPU_ISA</c> with getenv) never
/// sees; these calls reach the process environment that native libraries read.
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

    /// <summary>Sets <paramref name="name"/> in the native environment (and the managed copy, so both agree).</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (IsSupported && setenv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc")]
    private static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
