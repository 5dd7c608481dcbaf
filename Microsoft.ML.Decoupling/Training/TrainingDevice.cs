using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>Chooses the TorchSharp device the way ML.NET's GPU trainers do.</summary>
internal static class TrainingDevice
{
    /// <summary>
    /// CUDA device <paramref name="gpuDeviceId"/> when it is set and TorchSharp reports CUDA; the CPU when it is not set.
    /// When it is set but CUDA is missing (e.g. only the CPU build of libtorch is installed), the CPU if
    /// <paramref name="fallbackToCpu"/>, else an exception; <paramref name="warning"/> says why the CPU was chosen.
    /// </summary>
    /// <param name="gpuDeviceId"><c>MLContext.GpuDeviceId</c>.</param>
    /// <param name="fallbackToCpu"><c>MLContext.FallbackToCpu</c>.</param>
    /// <param name="warning">Set when a requested GPU is not used.</param>
    /// <exception cref="InvalidOperationException">A GPU was requested, is not available and fallback is off.</exception>
    public static Device Select(int? gpuDeviceId, bool fallbackToCpu, out string? warning)
    {
        warning = null;
        if (gpuDeviceId is null)
        {
            return CPU;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(gpuDeviceId.Value, nameof(gpuDeviceId));
        bool available = cuda.is_available();
        if (available && gpuDeviceId.Value < cuda.device_count())
        {
            return new Device(DeviceType.CUDA, gpuDeviceId.Value);
        }

        string reason = available
            ? $"MLContext.GpuDeviceId is {gpuDeviceId} but TorchSharp sees {cuda.device_count()} CUDA device(s)"
            : $"MLContext.GpuDeviceId is {gpuDeviceId} but TorchSharp reports no CUDA (reference a libtorch-cuda package and install the NVIDIA driver)";
        if (!fallbackToCpu)
        {
            throw new InvalidOperationException($"{reason}; set MLContext.FallbackToCpu = true to train on the CPU instead.");
        }

        warning = $"{reason}; training on the CPU (MLContext.FallbackToCpu).";
        return CPU;
    }
}
