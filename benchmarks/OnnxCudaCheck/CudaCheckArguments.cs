namespace OnnxCudaCheck;

/// <summary>Command line of the CUDA check, with its defaults (read by <see cref="CudaCheckCommandLine"/>).</summary>
internal sealed record CudaCheckArguments(string Compact, string Dense)
{
    public IReadOnlyList<int> Batches { get; init; } = [1, 32, 256];

    public int Runs { get; init; } = 50;

    public int Warmup { get; init; } = 10;

    /// <summary>The CUDA device id.</summary>
    public int Device { get; init; }

    /// <summary>The largest |CPU − CUDA| difference of an output value that passes the parity check.</summary>
    public double Tolerance { get; init; } = 1e-4;
}
