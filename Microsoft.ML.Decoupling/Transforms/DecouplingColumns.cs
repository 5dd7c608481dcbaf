namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>The columns a fitted decoupled network reads and writes.</summary>
/// <param name="Feature">Input image column.</param>
/// <param name="Score">Output class probabilities.</param>
/// <param name="PredictedLabel">Output predicted class (key).</param>
/// <param name="Path">Output calculation path.</param>
/// <param name="Responses">Output responses of the gated filters (GAP before the gate, path order; see
/// <see cref="DecouplingColumnNames.Responses"/>), or null for a network without gates.</param>
/// <param name="PathDeviation">Output path deviation (see <see cref="DecouplingColumnNames.PathDeviation"/>), or null when
/// the network has none.</param>
internal sealed record DecouplingColumns(string Feature, string Score, string PredictedLabel, string Path, string? Responses = null, string? PathDeviation = null);
