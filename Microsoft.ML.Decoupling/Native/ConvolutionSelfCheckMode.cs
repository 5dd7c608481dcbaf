namespace Microsoft.ML.Decoupling.Native;

/// <summary>When the CPU convolution self-check runs (see <see cref="ConvolutionSelfCheck"/>).</summary>
internal enum ConvolutionSelfCheckMode
{
    /// <summary>Once per process before the first training step, unless this machine's cached verdict says the convolutions are correct.</summary>
    Auto,

    /// <summary>Never: trust libtorch's CPU convolutions as they are.</summary>
    Skip,

    /// <summary>Once per process, whatever the cached verdict says; set before the process starts (environment) to re-test the full instruction set.</summary>
    Force,
}
