using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// A gradient attack on a decoupled network in evaluation mode (hard gates): batched, on the network's device, seeded.
/// Every step moves the images along the gradient of the cross-entropy — up for the true class (untargeted), down for
/// the target class (targeted) — then projects the perturbation onto the ε-ball of <see cref="Norm"/> and clips the
/// images to [0, 1], so the budget holds exactly for the returned images.
/// </summary>
/// <remarks>
/// The hard gates of evaluation mode pass no gradient to their gate logits (z = 1(g &gt; 0)); the gradient flows through
/// the open filters, as it does for any attacker who differentiates the deployed network.
/// </remarks>
public abstract class AdversarialAttack
{
    private protected AdversarialAttack(PerturbationNorm norm, double epsilon, int steps, double stepSize, bool randomStart, bool targeted)
    {
        if (!Enum.IsDefined(norm))
        {
            throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown perturbation norm.");
        }

        if (!double.IsFinite(epsilon) || epsilon <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon (the perturbation budget) must be a finite number > 0.");
        }

        if (norm == PerturbationNorm.LInfinity && epsilon > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "An L∞ epsilon above 1 is no bound: pixels are in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!double.IsFinite(stepSize) || stepSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "stepSize must be a finite number > 0.");
        }

        Norm = norm;
        Epsilon = epsilon;
        Steps = steps;
        StepSize = stepSize;
        RandomStart = randomStart;
        IsTargeted = targeted;
    }

    /// <summary>Short name of the attack, as reported in tables and metrics.</summary>
    public abstract string Name { get; }

    /// <summary>The norm bounding the perturbation.</summary>
    public PerturbationNorm Norm { get; }

    /// <summary>The perturbation budget ε (pixels are in [0, 1]).</summary>
    public double Epsilon { get; }

    /// <summary>Number of gradient steps.</summary>
    public int Steps { get; }

    /// <summary>Size of each step (L∞: per pixel; L2: per image).</summary>
    public double StepSize { get; }

    /// <summary>Whether the first step starts from a random point of the ε-ball.</summary>
    public bool RandomStart { get; }

    /// <summary>Whether the attack pushes each image towards a target class rather than away from its true class.</summary>
    public bool IsTargeted { get; }

    /// <summary>Attacks the images of <paramref name="images"/> (their labels are the true classes).</summary>
    /// <param name="network">The attacked network (run in evaluation mode; its mode is restored).</param>
    /// <param name="images">Clean images and their true classes.</param>
    /// <param name="targets">Target class (0-based) per image: required for a targeted attack, refused otherwise. See <see cref="AttackTargets"/>.</param>
    /// <param name="seed">Seed of the random start.</param>
    /// <param name="batchSize">Images per gradient computation.</param>
    public AdversarialAttackResult Run(DecoupledNetwork network, ImageDataset images, int[]? targets = null, int seed = 0, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(network);
        Training.DecouplingTrainer.RequireShape(network, images);
        return Run(network, images.Pixels, images.Labels, targets, seed, batchSize);
    }

    /// <summary>Attacks count×C·H·W <paramref name="pixels"/> in [0, 1] with true classes <paramref name="labels"/>.</summary>
    /// <inheritdoc cref="Run(DecoupledNetwork, ImageDataset, int[], int, int)"/>
    public AdversarialAttackResult Run(DecoupledNetwork network, float[] pixels, int[] labels, int[]? targets = null, int seed = 0, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        GradientAttack.RequireInputs(network, pixels, labels, targets, IsTargeted, Name);
        return GradientAttack.Run(network, pixels, labels, targets, this, seed, batchSize);
    }

    /// <summary>Name and settings, e.g. <c>PGD-L∞ ε=0.1 10×0.01 random start</c>.</summary>
    public override string ToString()
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        string steps = Steps > 1 ? string.Create(culture, $" {Steps}×{StepSize:G4}") : string.Empty;
        return string.Create(culture, $"{Name} ε={Epsilon:G4}{steps}{(RandomStart ? " random start" : string.Empty)}{(IsTargeted ? " targeted" : string.Empty)}");
    }
}
