namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>What <see cref="PretrainedWeightsLoader"/> did to a module.</summary>
/// <param name="LoadedCount">How many target parameters and buffers were overwritten from the source.</param>
/// <param name="KeptInitialKeys">Optional target keys absent from the source, left at their own initialisation.</param>
/// <param name="IgnoredSourceKeys">Source keys deliberately not used (an ignored prefix, or the name map returned null).</param>
/// <param name="ConvertedKeys">Target keys whose values were converted to the target's element type while copying.</param>
internal sealed record PretrainedWeightsLoadReport(
    int LoadedCount,
    IReadOnlyList<string> KeptInitialKeys,
    IReadOnlyList<string> IgnoredSourceKeys,
    IReadOnlyList<string> ConvertedKeys)
{
    /// <summary>How many optional target keys kept their own initialisation.</summary>
    public int KeptInitialCount => KeptInitialKeys.Count;

    /// <summary>How many source keys were deliberately not used.</summary>
    public int IgnoredSourceCount => IgnoredSourceKeys.Count;

    /// <summary>
    /// Source keys that the naming translates but whose module this network does not have (e.g. the authors' gate on the
    /// last conv, which the paper leaves ungated); their values were not used.
    /// </summary>
    public IReadOnlyList<string> UnmappedSourceKeys { get; init; } = [];
}
