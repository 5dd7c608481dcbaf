namespace Microsoft.ML.Decoupling.Native;

/// <summary>The outcome of the CPU convolution self-check.</summary>
/// <param name="Verdict">What the check concluded.</param>
/// <param name="Summary">One line: what was found and what was done.</param>
/// <param name="IsWarning">True when <paramref name="Summary"/> should reach the user as a warning (a fault was found or is being avoided).</param>
public sealed record ConvolutionSelfCheckResult(ConvolutionSelfCheckVerdict Verdict, string Summary, bool IsWarning);
