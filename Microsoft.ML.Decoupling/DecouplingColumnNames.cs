namespace Microsoft.ML.Decoupling;

/// <summary>The column names this package reads and writes by default; the one place they are spelled out.</summary>
public static class DecouplingColumnNames
{
    /// <summary>Input image column: a known-size <c>Vector&lt;float&gt;</c> holding C·H·W values in [0, 1].</summary>
    public const string Image = "Image";

    /// <summary>Input label column: a key type.</summary>
    public const string Label = "Label";

    /// <summary>Output column with the K class probabilities.</summary>
    public const string Score = "Score";

    /// <summary>Output key column with the most probable class (same key values as the label).</summary>
    public const string PredictedLabel = "PredictedLabel";

    /// <summary>Output column with the calculation path: 0/1 gate values of all gated layers in forward order.</summary>
    public const string Path = "Path";

    /// <summary>
    /// Column of the gate logits g behind the path (one per path bit, forward order; the path is 1(g &gt; 0)): the continuous
    /// values the 0/1 gates are cut from.
    /// </summary>
    public const string GateLogits = "GateLogits";

    /// <summary>
    /// Column of the gated filters' responses: GAP(Y) of each gated filter's output before its gate (the y of the KL loss),
    /// one per path bit, in path order. Not in the paper; a tree detector on these reads the input far better than on the
    /// 0/1 path (BENCHMARKS.md, "Detector features").
    /// </summary>
    public const string Responses = "Responses";

    /// <summary>
    /// Column of a detection set (<see cref="Adversarial.DetectionSet"/>, built with
    /// <see cref="Adversarial.DetectionDataOptions.DeviationCalibration"/>): per gated layer, then over the whole path, the
    /// squared Mahalanobis distance of the image's responses to the mean responses of clean calibration images of the class
    /// the network gives it (one covariance per layer, shared by the classes). The paper (§4.4, Fig. 10) observes that an
    /// adversarial "dog → truck" takes a path unlike real dogs' and real trucks'; this measures it. Not in the paper, whose
    /// detectors see the path alone: with a few images per class a forest cannot learn every class's paths, while these
    /// statistics come from plentiful clean images, as the Mahalanobis baseline's do (BENCHMARKS.md, issue 16).
    /// </summary>
    public const string PathDeviation = "PathDeviation";

    /// <summary>Detection data: Boolean column, true for an adversarial copy (the detectors' label).</summary>
    public const string IsAdversarial = "IsAdversarial";

    /// <summary>Detection data: Boolean column, whether the attack on the row's pair succeeded.</summary>
    public const string AttackSucceeded = "AttackSucceeded";

    /// <summary>Detection data: key column with the target class of a targeted attack (missing when untargeted).</summary>
    public const string TargetLabel = "TargetLabel";

    /// <summary>Detection data: Int32 column with the index of the clean image a row belongs to.</summary>
    public const string PairId = "PairId";

    /// <summary>
    /// Output of the merged network + detector ONNX model (<see cref="Onnx.DetectorOnnxExport"/>): the detector's score that
    /// the image is adversarial.
    /// </summary>
    public const string AdversarialScore = "AdversarialScore";
}
