namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>One path placed in the plane by <see cref="PathEmbedding"/>.</summary>
/// <param name="Row">Index of the input in the <see cref="Paths.PathSet"/>.</param>
/// <param name="Label">Class index of the input.</param>
/// <param name="X">First t-SNE coordinate.</param>
/// <param name="Y">Second t-SNE coordinate.</param>
public readonly record struct EmbeddedPath(int Row, int Label, float X, float Y);
