using System.Runtime.InteropServices;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// libtorch's process-wide "use oneDNN (mkldnn)" flag, <c>at::globalContext().setUserEnabledMkldnn(bool)</c>, which
/// TorchSharp does not expose. When it is off, CPU convolutions take libtorch's own im2col + GEMM kernels. The flag can
/// be changed at any time, unlike oneDNN's instruction-set limit, which is fixed at its first convolution.
/// </summary>
/// <remarks>Reached through the Itanium-mangled exports of libtorch_cpu (Linux, macOS); unavailable on Windows.</remarks>
internal static class OneDnnSwitch
{
    private const string GlobalContextSymbol = "_ZN2at13globalContextEv";
    private const string SetEnabledSymbol = "_ZN2at7Context20setUserEnabledMkldnnEb";
    private const string GetEnabledSymbol = "_ZNK2at7Context17userEnabledMkldnnEv";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContext();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetEnabled(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    private delegate bool GetEnabled(IntPtr context);

    /// <summary>Whether libtorch currently uses oneDNN; null when the flag cannot be reached.</summary>
    public static bool? IsEnabled => TryBind(out var context, out _, out var get) ? get(context) : null;

    /// <summary>Turns oneDNN on or off for the whole process; false when the flag cannot be reached.</summary>
    public static bool TrySet(bool enabled)
    {
        if (!TryBind(out var context, out var set, out var get))
        {
            return false;
        }

        set(context, enabled);
        return get(context) == enabled;
    }

    private static bool TryBind(out IntPtr context, out SetEnabled set, out GetEnabled get)
    {
        context = IntPtr.Zero;
        set = null!;
        get = null!;
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        string library = OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";
        // TorchSharp has loaded libtorch_cpu already; dlopen by name returns that same copy.
        if (!NativeLibrary.TryLoad(library, out IntPtr handle)
            || !NativeLibrary.TryGetExport(handle, GlobalContextSymbol, out IntPtr contextFunction)
            || !NativeLibrary.TryGetExport(handle, SetEnabledSymbol, out IntPtr setFunction)
            || !NativeLibrary.TryGetExport(handle, GetEnabledSymbol, out IntPtr getFunction))
        {
            return false;
        }

        context = Marshal.GetDelegateForFunctionPointer<GlobalContext>(contextFunction)();
        set = Marshal.GetDelegateForFunctionPointer<SetEnabled>(setFunction);
        get = Marshal.GetDelegateForFunctionPointer<GetEnabled>(getFunction);
        return true;
    }
}
