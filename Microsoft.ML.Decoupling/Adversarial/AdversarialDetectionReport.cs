namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>Outcome of <see cref="PathAdversarialDetector.Run"/>: one attack, the path, responses and path-deviation detectors and their baselines on the same images.</summary>
/// <param name="Attack">The attack (<see cref="AdversarialAttack.ToString"/>).</param>
/// <param name="AttackSuccessRate">Share of the attacked (correctly classified) images the attack succeeded on, train and test together.</param>
/// <param name="Trainer">Detector trainer name.</param>
/// <param name="Path">The detector on the calculation path (the paper's features: the 0/1 gates).</param>
/// <param name="Responses">The same trainer on the gated filters' responses (<see cref="DecouplingColumnNames.Responses"/>,
/// GAP before the gate): the continuous values the path is cut from, which detect far better (BENCHMARKS.md).</param>
/// <param name="Detector">The detector to use: the same trainer on <see cref="PathAdversarialDetector.DetectorColumns"/>, the
/// responses and their deviation from the predicted class's clean paths (<see cref="DecouplingColumnNames.PathDeviation"/>;
/// BENCHMARKS.md, issue 16).</param>
/// <param name="Scores">Baseline: the same trainer on the network's softmax scores.</param>
/// <param name="Mahalanobis">Baseline: <see cref="MahalanobisDetector"/> on the penultimate features.</param>
/// <param name="Train">The detectors' training rows.</param>
/// <param name="Test">The held-out test rows (images never used to train the network or the detectors).</param>
/// <param name="TrainImageIndices">For each pair id of <paramref name="Train"/>, the index of its clean image in the images given to <see cref="PathAdversarialDetector.Run"/>.</param>
/// <param name="TestImageIndices">The same for <paramref name="Test"/>.</param>
public sealed record AdversarialDetectionReport(
    string Attack,
    double AttackSuccessRate,
    string Trainer,
    DetectorMetrics Path,
    DetectorMetrics Responses,
    DetectorMetrics Detector,
    DetectorMetrics Scores,
    DetectorMetrics Mahalanobis,
    DetectionSet Train,
    DetectionSet Test,
    IReadOnlyList<int> TrainImageIndices,
    IReadOnlyList<int> TestImageIndices);
