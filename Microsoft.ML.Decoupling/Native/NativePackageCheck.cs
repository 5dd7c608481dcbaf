using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Checks, before a training reads its data, that the application carries the two native packages the library leaves
/// to it (DESIGN.md §3, "Package weight"): a libtorch package for training and an ONNX Runtime package for the fitted
/// transformer. Without the second, a training would otherwise run to its end and only then fail with
/// <c>DllNotFoundException: onnxruntime</c>, losing the trained network.
/// </summary>
internal static class NativePackageCheck
{
    /// <summary>The ONNX Runtime native library's name, as ONNX Runtime's managed API imports it.</summary>
    internal const string OnnxRuntimeLibrary = "onnxruntime";

    private static readonly object Gate = new();
    private static bool _onnxRuntimeLoaded;

    /// <summary>Both checks: libtorch (through <see cref="TorchNativeLoader.EnsureTorch"/>) and ONNX Runtime.</summary>
    /// <exception cref="InvalidOperationException">A native package is missing; the message names the package to add.</exception>
    internal static void EnsureForTraining()
    {
        TorchNativeLoader.EnsureTorch();
        EnsureOnnxRuntime();
    }

    /// <summary>Loads ONNX Runtime's native library the way its managed API will (once per process).</summary>
    /// <exception cref="InvalidOperationException">It cannot be loaded; the message names the packages to add.</exception>
    internal static void EnsureOnnxRuntime()
    {
        lock (Gate)
        {
            if (_onnxRuntimeLoaded)
            {
                return;
            }

            // Resolved against ONNX Runtime's managed assembly: the same search (deps.json native assets, the
            // application folder) that its DllImport will do.
            RequireOnnxRuntime(() => NativeLibrary.TryLoad(OnnxRuntimeLibrary, typeof(OrtEnv).Assembly, null, out _));
            _onnxRuntimeLoaded = true;
        }
    }

    /// <summary>Throws the missing-package message unless <paramref name="tryLoad"/> loads ONNX Runtime.</summary>
    internal static void RequireOnnxRuntime(Func<bool> tryLoad)
    {
        if (!tryLoad())
        {
            throw new InvalidOperationException(MissingOnnxRuntimeMessage());
        }
    }

    /// <summary>The message for a missing ONNX Runtime: what the library needs it for and which package to add.</summary>
    internal static string MissingOnnxRuntimeMessage() =>
        $"ONNX Runtime's native library ('{OnnxRuntimeLibrary}') could not be loaded, so a fitted transformer could not run " +
        "(it scores through the exported ONNX network); stopped before training. The application must reference " +
        "'Microsoft.ML.OnnxRuntime' 1.31.1 (CPU) or 'Microsoft.ML.OnnxRuntime.Gpu' (CUDA), not both; this library " +
        "references only ONNX Runtime's managed API so that the application chooses. See the README, 'Native packages'.";
}
