namespace Microsoft.ML.Decoupling.Analysis;

/// <summary>Progress of a long analysis step, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Step">What is running, e.g. "paths" or "t-SNE".</param>
/// <param name="Done">Units done so far (rows, iterations, images).</param>
/// <param name="Total">Units in all, or null when not known in advance (an <see cref="IDataView"/> without a row count).</param>
public sealed record AnalysisProgress(string Step, long Done, long? Total);
