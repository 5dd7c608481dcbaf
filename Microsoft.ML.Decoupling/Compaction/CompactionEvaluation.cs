namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>The compact network against the gated one on evaluation images (e.g. a test set).</summary>
/// <param name="Images">Number of evaluation images.</param>
/// <param name="ChangedPaths">
/// Images whose gated path the compact network does not reproduce: a removed ("silent") filter would have opened, or a
/// filter of a gate-dropped ("energetic") layer would have closed.
/// </param>
/// <param name="PredictionAgreement">Share of images for which both networks predict the same class.</param>
/// <param name="MaxScoreDifference">Largest absolute score difference over the images whose path is reproduced.</param>
internal sealed record CompactionEvaluation(int Images, int ChangedPaths, double PredictionAgreement, double MaxScoreDifference)
{
    /// <summary>Share of evaluation images whose path changes.</summary>
    public double ChangedShare => Images == 0 ? 0 : (double)ChangedPaths / Images;
}
