namespace Microsoft.ML.Decoupling.Native;

/// <summary>
/// Guards training against CPUs on which libtorch's convolutions are wrong. libtorch 2.10's oneDNN kernels give wrong or
/// NaN outputs and gradients on an AMD EPYC of family 26 (Zen 5) for channel counts that are not a multiple of the SIMD
/// width; other CPUs may have their own faults. Before the first training step of a process, a few convolutions are
/// compared with a float64 reference (<see cref="EnsureCorrect"/>); the verdict is cached per machine (CPU model and
/// libtorch build). On a faulty machine oneDNN is switched off for the current process, and later processes start with
/// oneDNN limited to SSE4.1 (set natively before libtorch's first convolution), which is correct and cheaper.
/// </summary>
public static class ConvolutionSelfCheck
{
    /// <summary>Environment variable read at start-up: <c>auto</c> (default), <c>skip</c> or <c>force</c>.</summary>
    public const string ModeVariable = "DECOUPLING_CONVOLUTION_CHECK";

    /// <summary>The oneDNN instruction-set limit used on a machine whose cached verdict is faulty.</summary>
    internal const string SafeInstructionSet = "SSE41";

    private static readonly string[] IsaVariables = ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"];
    private static readonly object Gate = new();
    private static ConvolutionSelfCheckResult? _result;
    private static bool _warningDelivered;
    private static string? _isaLimit;
    private static bool _isaLimitIsOurs;
    private static ConvolutionSelfCheckMode? _mode;

    /// <summary>
    /// When the check runs (default from <see cref="ModeVariable"/>, else <see cref="ConvolutionSelfCheckMode.Auto"/>). Set it
    /// before the first training of the process; the check runs once per process.
    /// </summary>
    /// <exception cref="InvalidOperationException">(get) <see cref="ModeVariable"/> holds a value other than auto, skip or force.</exception>
    internal static ConvolutionSelfCheckMode Mode
    {
        get => _mode ?? ModeFromEnvironment();
        set => _mode = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Expected Auto, Skip or Force.");
    }

    /// <summary>The result of this process's check, or null before it has run.</summary>
    public static ConvolutionSelfCheckResult? Result
    {
        get
        {
            lock (Gate)
            {
                return _result;
            }
        }
    }

    /// <summary>
    /// Runs the check unless it has run in this process (see <see cref="Mode"/>) and returns its result. A warning (fault
    /// found or avoided) goes once per process to <paramref name="warn"/>, or to standard error when it is null.
    /// </summary>
    /// <exception cref="InvalidOperationException">The convolutions are wrong and no configuration passes the check.</exception>
    public static ConvolutionSelfCheckResult EnsureCorrect(Action<string>? warn = null)
    {
        ConvolutionSelfCheckResult result;
        bool deliver;
        lock (Gate)
        {
            if (_result is null)
            {
                TorchNativeLoader.EnsureTorch();
                string? restriction = _isaLimit is not null ? $"DNNL_MAX_CPU_ISA={_isaLimit}"
                    : OneDnnSwitch.IsEnabled == false ? "oneDNN switched off" : null;
                var guard = new ConvolutionFaultGuard(
                    ConvolutionCheck.Run, () => OneDnnSwitch.TrySet(false), ConvolutionVerdictCache.ForThisMachine(), restriction, _isaLimitIsOurs);
                _result = guard.Ensure(Mode);
            }

            result = _result;
            deliver = result.IsWarning && !_warningDelivered;
            _warningDelivered |= deliver;
        }

        if (deliver)
        {
            (warn ?? Console.Error.WriteLine)(result.Summary);
        }

        return result;
    }

    /// <summary>Runs <see cref="EnsureCorrect"/> when <paramref name="device"/> is the CPU (the check concerns libtorch's CPU kernels).</summary>
    internal static void EnsureCorrectFor(TorchSharp.torch.Device device, Action<string>? warn = null)
    {
        if (device.type == TorchSharp.DeviceType.CPU)
        {
            EnsureCorrect(warn);
        }
    }

    /// <summary>
    /// Called when the assembly loads, before libtorch's first convolution: on a machine whose cached verdict is faulty,
    /// limits oneDNN to <see cref="SafeInstructionSet"/> in the native environment, unless the user set a limit.
    /// </summary>
    internal static void ApplyCachedWorkaround()
    {
        string? userLimit = IsaVariables.Select(NativeEnvironment.Get).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        if (userLimit is not null)
        {
            _isaLimit = userLimit;
            return;
        }

        if (Mode != ConvolutionSelfCheckMode.Auto || !NativeEnvironment.IsSupported)
        {
            return; // Skip trusts the defaults; Force re-tests them.
        }

        if (ConvolutionVerdictCache.ForThisMachine().Read() is { Faulty: true })
        {
            NativeEnvironment.Set("DNNL_MAX_CPU_ISA", SafeInstructionSet);
            _isaLimit = SafeInstructionSet;
            _isaLimitIsOurs = true;
        }
    }

    private static ConvolutionSelfCheckMode ModeFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(ModeVariable);
        return value?.Trim().ToLowerInvariant() switch
        {
            null or "" or "auto" => ConvolutionSelfCheckMode.Auto,
            "skip" => ConvolutionSelfCheckMode.Skip,
            "force" => ConvolutionSelfCheckMode.Force,
            _ => throw new InvalidOperationException($"The environment variable {ModeVariable} is '{value}'; expected auto, skip or force."),
        };
    }
}
