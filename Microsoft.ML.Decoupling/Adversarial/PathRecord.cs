namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>One image seen by the adversarial detector.</summary>
/// <param name="IsTest">Whether the row belongs to the detector's test split.</param>
/// <param name="Label">True class (0-based).</param>
/// <param name="Predicted">Class predicted by the network (0-based).</param>
/// <param name="IsAdversarial">Whether the image is the adversarial copy.</param>
/// <param name="Path">The image's calculation path.</param>
public sealed record PathRecord(bool IsTest, int Label, int Predicted, bool IsAdversarial, float[] Path);
