namespace Microsoft.ML.Decoupling.Native;

/// <summary>A stored self-check verdict.</summary>
/// <param name="Faulty">True when the default configuration failed the check.</param>
/// <param name="Details">What failed (or "all cases passed").</param>
/// <param name="Machine">The machine description the verdict belongs to.</param>
/// <param name="CheckedUtc">When the check ran.</param>
internal sealed record CachedConvolutionVerdict(bool Faulty, string Details, string Machine, DateTime CheckedUtc);
