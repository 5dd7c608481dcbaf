namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>Options of <see cref="DetectorOnnxExport.SaveOnnxWithDetector"/>: which detector output becomes the adversarial score, and its name.</summary>
public sealed class DetectorOnnxExportOptions
{
    /// <summary>The detector output used by default when the detector writes it: ML.NET's calibrated probability.</summary>
    public const string ProbabilityColumnName = Transforms.MLNetColumnNames.Probability;

    /// <summary>The detector output used by default when the detector has no <see cref="ProbabilityColumnName"/>: ML.NET's raw score.</summary>
    public const string ScoreColumnName = Transforms.MLNetColumnNames.Score;

    /// <summary>
    /// The detector's output column (a <see cref="float"/> scalar) that becomes the adversarial score. Default null: the
    /// calibrated <c>Probability</c> (in [0, 1]) when the detector writes one (FastTree, LightGbm and calibrated trainers),
    /// otherwise the raw <c>Score</c> (unbounded; FastForest's binary trainer is not calibrated). Higher means more likely
    /// adversarial when the detector was trained with adversarial images as the positive class.
    /// </summary>
    public string? DetectorScoreColumnName { get; set; }

    /// <summary>Name of the merged model's adversarial-score output, a float tensor [N, 1]. Default: <see cref="DecouplingColumnNames.AdversarialScore"/>.</summary>
    public string AdversarialScoreName { get; set; } = DecouplingColumnNames.AdversarialScore;
}
