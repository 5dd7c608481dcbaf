using Microsoft.ML.Decoupling.Data;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>How <see cref="AdversarialDetectionData.Create"/> builds a detection set.</summary>
public sealed class DetectionDataOptions
{
    /// <summary>
    /// True (default): an adversarial copy whose attack failed is left out, because an image that fools nobody is not an
    /// adversarial example (its clean image stays). False: every copy is labelled adversarial, as many published
    /// detection results do, which rewards detecting the perturbation rather than the attack.
    /// </summary>
    public bool OnlySuccessfulAttacks { get; set; } = true;

    /// <summary>Seed of the attack's random start and of the drawn target classes of a targeted attack.</summary>
    public int Seed { get; set; }

    /// <summary>Target classes of a targeted attack, one per image; null: <see cref="AttackTargets.RandomOther"/> with <see cref="Seed"/>.</summary>
    public int[]? Targets { get; set; }

    /// <summary>For a network without gates: the encoder that turns its activations into a dense path (required there, ignored otherwise).</summary>
    public DensePathEncoder? DensePath { get; set; }

    /// <summary>
    /// Clean images with their true classes (e.g. a few thousand of the network's training images). When set, the class
    /// statistics of their paths are fitted first (see <see cref="DecouplingColumnNames.PathDeviation"/>), every row gets
    /// its <see cref="DetectionRow.PathDeviation"/>, and the set's view the column of that name. Null (default): neither.
    /// </summary>
    public ImageDataset? DeviationCalibration { get; set; }

    /// <summary>
    /// Class statistics already fitted (on <see cref="DeviationCalibration"/>'s images), so that sets built from the same
    /// calibration do not repeat the forward pass over it; takes precedence over <see cref="DeviationCalibration"/>.
    /// </summary>
    internal PathDeviation? FittedDeviation { get; set; }

    /// <summary>Images per forward/backward batch.</summary>
    public int BatchSize { get; set; } = 256;
}
