namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>Leave-one-out k-NN accuracy of the class from one part of the path.</summary>
/// <param name="Layer">Gated layer name, or "path" for the whole path.</param>
/// <param name="Accuracy">Share of inputs whose k nearest paths (Hamming distance) mostly have their class.</param>
public sealed record LayerSeparability(string Layer, double Accuracy);
