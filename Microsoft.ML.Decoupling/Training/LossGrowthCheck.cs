using System.Globalization;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// A fit that ends with a finite but huge loss is legal (nothing overflowed, so <see cref="TrainingDivergedException"/>
/// does not apply) and useless: the estimator warns through its channel when the last epoch's loss is orders of
/// magnitude above where training starts.
/// </summary>
internal static class LossGrowthCheck
{
    /// <summary>How many times the starting loss counts as "orders of magnitude" above it.</summary>
    public const double Factor = 100;

    /// <summary>
    /// The warning for <paramref name="history"/>, or null: when the last epoch's cross-entropy is above <see cref="Factor"/>
    /// times that of a uniform guess over <paramref name="classes"/> (ln K, about where an initialised network starts), or
    /// its total loss above <see cref="Factor"/> times the first epoch's.
    /// </summary>
    public static string? Warning(IReadOnlyList<EpochReport> history, int classes, double learningRate)
    {
        if (history.Count == 0)
        {
            return null;
        }

        var first = history[0];
        var last = history[^1];
        double guess = Math.Log(classes);
        bool aboveGuess = last.CrossEntropy > Factor * guess;
        bool grew = history.Count > 1 && first.Total > 0 && last.Total > Factor * first.Total;
        if (!aboveGuess && !grew)
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"The training loss ended at {last.Total:G3} (cross-entropy {last.CrossEntropy:G3}; a uniform guess over {classes} classes gives {guess:F2}, the first epoch {first.Total:G3}): "
            + $"the fit is finite but useless, the training has probably diverged. Lower LearningRate (now {learningRate:G3}) or set GradientClipNorm.");
    }
}
