namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>One image of a detection set: a clean image or its adversarial copy, with what the network made of it.</summary>
/// <param name="PairId">Index of the clean image in the set; its adversarial copy has the same id.</param>
/// <param name="Image">C·H·W pixel values in [0, 1].</param>
/// <param name="Path">The calculation path (or, for a network without gates, its dense path; see <see cref="DensePathEncoder"/>).</param>
/// <param name="GateLogits">The gate logits g behind the path (the path is 1(g &gt; 0)), one per path bit; for a dense path,
/// each filter's response minus the encoder's threshold, so that the dense bit is 1 where this is above 0.</param>
/// <param name="Responses">GAP(Y) of each gated filter before its gate (the y of the KL loss), one per path bit; for a
/// dense path, the dense network's GAP responses of the same filters.</param>
/// <param name="Score">Softmax scores, K values.</param>
/// <param name="Features">Penultimate features (the classifier head's input), for feature-space detectors such as <see cref="MahalanobisDetector"/>.</param>
/// <param name="IsAdversarial">Whether the image is the adversarial copy.</param>
/// <param name="AttackSucceeded">Whether the attack on this pair succeeded (same value on both rows of a pair).</param>
/// <param name="Label">True class, 0-based.</param>
/// <param name="TargetLabel">Target class of a targeted attack, 0-based; -1 for an untargeted one.</param>
/// <param name="Predicted">The network's class for this image, 0-based.</param>
/// <param name="PathDeviation">The responses' deviation from the predicted class's clean paths
/// (<see cref="DecouplingColumnNames.PathDeviation"/>), or null when the set was built without
/// <see cref="DetectionDataOptions.DeviationCalibration"/>.</param>
public sealed record DetectionRow(
    int PairId,
    float[] Image,
    float[] Path,
    float[] GateLogits,
    float[] Responses,
    float[] Score,
    float[] Features,
    bool IsAdversarial,
    bool AttackSucceeded,
    int Label,
    int TargetLabel,
    int Predicted,
    float[]? PathDeviation = null);
