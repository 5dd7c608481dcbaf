namespace Decoupling.Benchmarks;

/// <summary>
/// Command line of the convolution layout probe (<c>--convolution-layouts</c>), with its defaults (read by
/// <see cref="ConvolutionLayoutCommandLine"/>).
/// </summary>
internal sealed record ConvolutionLayoutArguments
{
    /// <summary>Layouts in the order they run in this process: nchw (PyTorch's default) and channels-last.</summary>
    public IReadOnlyList<string> Layouts { get; init; } = ["nchw", "channels-last"];

    /// <summary>Random conv shapes on top of the self-check's cases and the fixed extra shapes.</summary>
    public int RandomShapes { get; init; } = 100;

    /// <summary>How often every shape runs in each layout.</summary>
    public int Rounds { get; init; } = 2;

    public int Seed { get; init; } = 1;
}
