namespace Microsoft.ML.Decoupling.Native;

/// <summary>What the CPU convolution self-check concluded for this process.</summary>
public enum ConvolutionSelfCheckVerdict
{
    /// <summary>Not run (<see cref="ConvolutionSelfCheckMode.Skip"/>).</summary>
    Skipped,

    /// <summary>Not run in this process: an earlier check on this machine (same CPU, same libtorch) passed.</summary>
    PassedEarlier,

    /// <summary>Run in this process and passed with libtorch's default configuration.</summary>
    Passed,

    /// <summary>The convolutions are faulty on this machine; a configuration that passes the check is in use.</summary>
    FaultAvoided,
}
