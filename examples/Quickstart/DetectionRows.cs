using Microsoft.ML.Decoupling.Adversarial;

namespace Quickstart;

/// <summary>The rows of <c>paths.csv</c> from the path detector's report: its training rows, then its test rows.</summary>
internal static class DetectionRows
{
    public static List<PathsCsvRow> From(AdversarialDetectionReport detection)
    {
        var rows = new List<PathsCsvRow>(detection.Train.Rows.Count + detection.Test.Rows.Count);
        foreach (var (set, indices, isTest) in new[] { (detection.Train, detection.TrainImageIndices, false), (detection.Test, detection.TestImageIndices, true) })
        {
            foreach (var row in set.Rows)
            {
                int image = indices[row.PairId];
                // Pair ids are unique across the two splits: an image is in one split only.
                rows.Add(new PathsCsvRow(image, image, row.IsAdversarial, isTest, row.Label, row.Predicted, row.Score, row.Path, row.Responses));
            }
        }

        return rows;
    }
}
