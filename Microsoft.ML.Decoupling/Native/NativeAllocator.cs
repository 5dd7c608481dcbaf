using System.Runtime.InteropServices;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Settings of the C allocator that libtorch's CPU tensors come from. With glibc's defaults a training step gives its
/// activation buffers back to the system and faults them in again at the next step (measured on the VGG-style network,
/// batch 128: about 15 000 minor page faults per step against 200, and a step 1.4–2.65× slower; BENCHMARKS.md).
/// <see cref="UseTrainingSettings"/> keeps them, as the environment variables <c>MALLOC_MMAP_THRESHOLD_=268435456</c>,
/// <c>MALLOC_TRIM_THRESHOLD_=2147483648</c> and <c>MALLOC_TOP_PAD_=268435456</c> do, without having to set them before
/// the process starts.
/// </summary>
/// <remarks>
/// An explicit opt-in, made once at application start (before training): it changes the allocator of the whole process,
/// which then keeps up to a few hundred MB of freed memory for reuse instead of returning it to the system.
/// </remarks>
public static class NativeAllocator
{
    /// <summary>Allocations of at least this many bytes get their own mapping (glibc's default is dynamic, from 128 KiB).</summary>
    internal const int MmapThreshold = 256 * 1024 * 1024;

    /// <summary>
    /// Free memory at the top of the heap is given back only beyond this many bytes. mallopt takes an int, so this is
    /// 2 GiB − 1 byte where the environment variable says 2 GiB: the same in effect.
    /// </summary>
    internal const int TrimThreshold = int.MaxValue;

    /// <summary>Extra bytes requested from the system each time the heap grows.</summary>
    internal const int TopPad = 256 * 1024 * 1024;

    // glibc's <malloc.h>.
    private const int MallocTrimThreshold = -1;
    private const int MallocTopPad = -2;
    private const int MallocMmapThreshold = -3;

    /// <summary>Whether the process runs on glibc, whose allocator these settings are for.</summary>
    internal static bool IsGlibc
    {
        get
        {
            if (!OperatingSystem.IsLinux())
            {
                return false;
            }

            try
            {
                return gnu_get_libc_version() != IntPtr.Zero;
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                return false; // musl (Alpine) and other C libraries
            }
        }
    }

    /// <summary>
    /// Applies the training settings (<see cref="MmapThreshold"/>, <see cref="TrimThreshold"/>, <see cref="TopPad"/>) with
    /// glibc's <c>mallopt</c>. Returns true when glibc accepted all three; false, changing nothing, on other platforms
    /// (Windows, macOS, musl), whose allocators do not have glibc's trimming behaviour. Call it once at application start.
    /// </summary>
    /// <exception cref="InvalidOperationException">glibc refused a setting (the message names it).</exception>
    public static bool UseTrainingSettings()
    {
        if (!IsGlibc)
        {
            return false;
        }

        Set(MallocMmapThreshold, MmapThreshold, "M_MMAP_THRESHOLD");
        Set(MallocTrimThreshold, TrimThreshold, "M_TRIM_THRESHOLD");
        Set(MallocTopPad, TopPad, "M_TOP_PAD");
        return true;
    }

    private static void Set(int parameter, int value, string name)
    {
        // mallopt returns 1 on success and 0 on error.
        if (mallopt(parameter, value) != 1)
        {
            throw new InvalidOperationException($"glibc's mallopt refused {name} = {value}; this glibc ({Marshal.PtrToStringUTF8(gnu_get_libc_version())}) may cap it lower.");
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static extern IntPtr gnu_get_libc_version();
}
