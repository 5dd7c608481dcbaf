using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>How well a detector separates adversarial from clean images on a test set.</summary>
/// <param name="Auc">Area under the ROC curve (ties count half): the chance that a random adversarial image scores above a random clean one.</param>
/// <param name="Accuracy">Share of test rows classified right at the detector's decision threshold.</param>
/// <param name="TruePositiveRateAt5PercentFalsePositives">Share of adversarial rows caught at the highest threshold-free operating point with at most 5% of clean rows flagged.</param>
/// <param name="Positives">Adversarial test rows.</param>
/// <param name="Negatives">Clean test rows.</param>
public sealed record DetectorMetrics(double Auc, double Accuracy, double TruePositiveRateAt5PercentFalsePositives, int Positives, int Negatives)
{
    /// <summary>
    /// Metrics of <paramref name="scores"/> (larger: more likely adversarial) against <paramref name="isAdversarial"/>, the
    /// accuracy at <paramref name="threshold"/> (score ≥ threshold: adversarial).
    /// </summary>
    /// <exception cref="ArgumentException">The counts differ, a score is NaN, or clean or adversarial rows are missing.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is NaN.</exception>
    public static DetectorMetrics Compute(IReadOnlyList<float> scores, IReadOnlyList<bool> isAdversarial, double threshold)
    {
        CheckScores(scores, isAdversarial);
        if (double.IsNaN(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The decision threshold must be a number (±∞ allowed).");
        }

        int positives = isAdversarial.Count(a => a);
        int negatives = scores.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            throw new ArgumentException($"Detector metrics need clean and adversarial rows; got {negatives} clean and {positives} adversarial.", nameof(isAdversarial));
        }

        int correct = 0;
        for (int i = 0; i < scores.Count; i++)
        {
            correct += (scores[i] >= threshold) == isAdversarial[i] ? 1 : 0;
        }

        return new DetectorMetrics(AreaUnderCurve(scores, isAdversarial, positives, negatives), (double)correct / scores.Count, TruePositiveRateAt(scores, isAdversarial, 0.05, positives, negatives), positives, negatives);
    }

    /// <summary>
    /// Metrics of an ML.NET binary detector's output: its <paramref name="scoreColumn"/> ranks the rows, its
    /// <paramref name="predictedLabelColumn"/> gives the accuracy (the trainer's own decision threshold).
    /// </summary>
    public static DetectorMetrics Evaluate(
        IDataView scored,
        string labelColumn = DecouplingColumnNames.IsAdversarial,
        string scoreColumn = Transforms.MLNetColumnNames.Score,
        string predictedLabelColumn = Transforms.MLNetColumnNames.PredictedLabel)
    {
        ArgumentNullException.ThrowIfNull(scored);
        foreach (var name in new[] { labelColumn, scoreColumn, predictedLabelColumn })
        {
            if (scored.Schema.GetColumnOrNull(name) is null)
            {
                throw new ArgumentException($"The scored data has no column '{name}'; columns: {string.Join(", ", scored.Schema.Select(c => c.Name))}.", nameof(scored));
            }
        }

        var labels = scored.GetColumn<bool>(labelColumn).ToArray();
        var scores = scored.GetColumn<float>(scoreColumn).ToArray();
        var predicted = scored.GetColumn<bool>(predictedLabelColumn).ToArray();
        var metrics = Compute(scores, labels, double.PositiveInfinity);
        double accuracy = labels.Zip(predicted).Count(p => p.First == p.Second) / (double)labels.Length;
        return metrics with { Accuracy = accuracy };
    }

    /// <summary>The threshold that classifies <paramref name="scores"/> best (e.g. on the detector's training rows).</summary>
    /// <exception cref="ArgumentException">The counts differ, a score is NaN, or there are no scores.</exception>
    public static double BestThreshold(IReadOnlyList<float> scores, IReadOnlyList<bool> isAdversarial)
    {
        CheckScores(scores, isAdversarial);
        if (scores.Count == 0)
        {
            throw new ArgumentException("No scores: a threshold needs at least one row.", nameof(scores));
        }
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        // Threshold below everything: all adversarial; walk up, moving one distinct score at a time to "clean".
        int correct = isAdversarial.Count(a => a), best = correct;
        double threshold = order.Length == 0 ? 0 : scores[order[0]], bestThreshold = threshold;
        for (int k = 0; k < order.Length;)
        {
            float value = scores[order[k]];
            while (k < order.Length && scores[order[k]] == value)
            {
                correct += isAdversarial[order[k]] ? -1 : 1;
                k++;
            }

            if (correct > best)
            {
                best = correct;
                // Midway to the next score; just above this one when that is not a number between them (infinite scores).
                double midway = k < order.Length ? (value + (double)scores[order[k]]) / 2.0 : double.NaN;
                bestThreshold = double.IsFinite(midway) && midway > value ? midway : Math.BitIncrement((double)value);
            }
        }

        return bestThreshold;
    }

    /// <summary>
    /// Equal counts and no NaN score: NaN compares false with everything, so the walks over equal scores would never
    /// advance past it (they hung before this check).
    /// </summary>
    private static void CheckScores(IReadOnlyList<float> scores, IReadOnlyList<bool> isAdversarial)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(isAdversarial);
        if (scores.Count != isAdversarial.Count)
        {
            throw new ArgumentException($"{scores.Count} scores for {isAdversarial.Count} labels; expected one label per score.", nameof(scores));
        }

        for (int i = 0; i < scores.Count; i++)
        {
            if (float.IsNaN(scores[i]))
            {
                throw new ArgumentException($"Score {i} is NaN; detector metrics need a number for every row (a NaN feature, e.g. from a NaN image, gives a NaN score).", nameof(scores));
            }
        }
    }

    private static double AreaUnderCurve(IReadOnlyList<float> scores, IReadOnlyList<bool> isAdversarial, int positives, int negatives)
    {
        // Mann–Whitney U with mid-ranks for ties.
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        for (int k = 0; k < order.Length;)
        {
            int end = k;
            while (end < order.Length && scores[order[end]] == scores[order[k]])
            {
                end++;
            }

            double midRank = ((k + 1) + end) / 2.0;
            for (int j = k; j < end; j++)
            {
                rankSum += isAdversarial[order[j]] ? midRank : 0;
            }

            k = end;
        }

        return (rankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }

    private static double TruePositiveRateAt(IReadOnlyList<float> scores, IReadOnlyList<bool> isAdversarial, double maxFalsePositiveRate, int positives, int negatives)
    {
        // Lower the threshold one distinct score at a time (from the top) while the false-positive rate stays allowed.
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        int truePositives = 0, falsePositives = 0, best = 0;
        for (int k = 0; k < order.Length;)
        {
            float value = scores[order[k]];
            while (k < order.Length && scores[order[k]] == value)
            {
                if (isAdversarial[order[k]])
                {
                    truePositives++;
                }
                else
                {
                    falsePositives++;
                }

                k++;
            }

            if (falsePositives > maxFalsePositiveRate * negatives)
            {
                break;
            }

            best = truePositives;
        }

        return (double)best / positives;
    }
}
