namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>Outcome of attacking a decoupled network and detecting the attack from calculation paths.</summary>
/// <param name="Attack">Attack name.</param>
/// <param name="Epsilon">L∞ budget.</param>
/// <param name="AttackSuccessRate">Share of correctly classified clean images that the attack made misclassified.</param>
/// <param name="Trainer">Detector trainer name.</param>
/// <param name="Auc">Area under the ROC curve of the detector on held-out images (ML.NET's evaluator).</param>
/// <param name="TrainRows">Detector training rows (clean + adversarial).</param>
/// <param name="TestRows">Detector test rows (clean + adversarial).</param>
/// <param name="Rows">Every row the detector saw, with its path.</param>
public sealed record AdversarialDetectionReport(
    string Attack,
    double Epsilon,
    double AttackSuccessRate,
    string Trainer,
    double Auc,
    int TrainRows,
    int TestRows,
    IReadOnlyList<PathRecord> Rows);
