namespace Microsoft.ML.Decoupling.Analysis.Clustering;

/// <summary>Where two classes part ways in a <see cref="PathDecisionTree"/>.</summary>
/// <param name="ClassA">The lower class index.</param>
/// <param name="ClassB">The higher class index.</param>
/// <param name="LayerIndex">Index of the first gated layer at which most inputs of the two classes go to different groups, or null if they never do.</param>
/// <param name="Layer">Name of that layer, or null.</param>
public sealed record ClassPairSeparation(int ClassA, int ClassB, int? LayerIndex, string? Layer);
