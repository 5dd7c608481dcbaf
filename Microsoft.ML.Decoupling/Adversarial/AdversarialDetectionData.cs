using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// Builds the data of the paper's detection experiment (§4.4): clean images, their adversarial copies, and the network's
/// paths and scores for both, as a <see cref="DetectionSet"/> that ML.NET trainers read through
/// <see cref="DetectionSet.ToDataView"/>.
/// </summary>
public static class AdversarialDetectionData
{
    /// <summary>
    /// Attacks <paramref name="images"/> with <paramref name="attack"/> and reads the network's path (a dense path for a
    /// network without gates, see <see cref="DetectionDataOptions.DensePath"/>), scores and features for every clean image
    /// and adversarial copy. By default only successful attacks give adversarial rows (<see cref="DetectionDataOptions.OnlySuccessfulAttacks"/>).
    /// </summary>
    /// <param name="network">The attacked network (evaluation mode; its mode is restored).</param>
    /// <param name="images">The clean images, usually from <see cref="SampleCorrectlyClassified"/>.</param>
    /// <param name="attack">The attack.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static DetectionSet Create(DecoupledNetwork network, ImageDataset images, AdversarialAttack attack, DetectionDataOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(attack);
        options ??= new DetectionDataOptions();
        RequireImages(network, images, nameof(images));

        if (!network.IsGated && options.DensePath is null)
        {
            throw new ArgumentException("The network has no gates, so it has no calculation path: give DetectionDataOptions.DensePath (DensePathEncoder.Fit) to read its dense path instead.", nameof(network));
        }

        // Every option is checked before the calibration fit and the attack, which would otherwise fail only after them.
        options.DensePath?.RequireFits(network, nameof(options));
        if (options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "DetectionDataOptions.BatchSize must be at least 1.");
        }

        if (!attack.IsTargeted && options.Targets is not null)
        {
            throw new ArgumentException($"{attack.Name} is untargeted; DetectionDataOptions.Targets must be null.", nameof(options));
        }

        var targets = attack.IsTargeted ? options.Targets ?? AttackTargets.RandomOther(images.Labels, network.Classes, options.Seed) : null;
        try
        {
            GradientAttack.RequireInputs(network, images.Pixels, images.Labels, targets, attack.IsTargeted, attack.Name);
        }
        catch (ArgumentException e) when (e.ParamName == "targets")
        {
            throw new ArgumentException($"DetectionDataOptions.Targets: {e.Message.Replace(" (Parameter 'targets')", string.Empty, StringComparison.Ordinal)}", nameof(options), e);
        }

        var deviation = options.FittedDeviation
            ?? (options.DeviationCalibration is { } calibration ? PathDeviation.Fit(network, calibration, options, nameof(options)) : null);

        var result = attack.Run(network, images, targets, options.Seed, options.BatchSize);
        var clean = Read(network, images.Pixels, images.Count, options);
        var adversarial = Read(network, result.Pixels, images.Count, options);
        var cleanDeviation = Deviation(clean);
        var adversarialDeviation = Deviation(adversarial);
        int imageSize = images.ImageSize;
        int classes = network.Classes;
        int features = network.Description.HeadInputs;
        int pathLength = clean.Paths.Length / images.Count;
        var rows = new List<DetectionRow>(2 * images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            int label = images.GetLabel(i);
            int target = targets?[i] ?? -1;
            bool succeeded = result.Succeeded[i];
            rows.Add(Row(i, images.Pixels, clean, cleanDeviation, false, succeeded, label, target));
            if (succeeded || !options.OnlySuccessfulAttacks)
            {
                rows.Add(Row(i, result.Pixels, adversarial, adversarialDeviation, true, succeeded, label, target));
            }
        }

        return new DetectionSet(result.Attack, images.ClassNames, imageSize, pathLength, features, rows, result.SuccessRate);

        float[]? Deviation(PathReadout read) => deviation?.Compute(read.Responses, Predictions(read.Readout.Scores, network.Classes), images.Count);

        DetectionRow Row(int i, float[] pixels, PathReadout read, float[]? rowDeviation, bool isAdversarial, bool succeeded, int label, int target)
        {
            var scores = read.Readout.Scores.AsSpan(i * classes, classes);
            return new DetectionRow(
                i,
                pixels.AsSpan(i * imageSize, imageSize).ToArray(),
                read.Paths.AsSpan(i * pathLength, pathLength).ToArray(),
                read.GateLogits.AsSpan(i * pathLength, pathLength).ToArray(),
                read.Responses.AsSpan(i * pathLength, pathLength).ToArray(),
                scores.ToArray(),
                read.Readout.Features.AsSpan(i * features, features).ToArray(),
                isAdversarial,
                succeeded,
                label,
                target,
                System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores),
                rowDeviation?.AsSpan(i * deviation!.Length, deviation.Length).ToArray());
        }
    }

    /// <summary>
    /// Refuses images the network cannot attack or score: another shape, none at all, or another number of classes (the
    /// rows' Score vectors and class names must agree with the network's K); <paramref name="parameter"/> is named.
    /// </summary>
    internal static void RequireImages(DecoupledNetwork network, ImageDataset images, string parameter)
    {
        Training.DecouplingTrainer.RequireShape(network, images, parameter);
        if (images.Count == 0)
        {
            throw new ArgumentException("No images to attack.", parameter);
        }

        if (images.ClassNames.Count != network.Classes)
        {
            throw new ArgumentException($"The images name {images.ClassNames.Count} classes; the network has {network.Classes}. Give the images the network's class names.", parameter);
        }
    }

    private static int[] Predictions(float[] scores, int classes)
    {
        var predicted = new int[scores.Length / classes];
        for (int i = 0; i < predicted.Length; i++)
        {
            predicted[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores.AsSpan(i * classes, classes));
        }

        return predicted;
    }

    /// <summary>
    /// Indices of <paramref name="perClass"/> images of every class, drawn (seeded) from the images of <paramref name="pool"/>
    /// that the network classifies correctly and that <paramref name="exclude"/> does not hold — the usual protocol: an
    /// attack's success is only defined on images the network gets right.
    /// </summary>
    /// <exception cref="ArgumentException">A class has fewer than <paramref name="perClass"/> eligible images.</exception>
    public static int[] SampleCorrectlyClassified(DecoupledNetwork network, ImageDataset pool, int perClass, int seed, IReadOnlySet<int>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfLessThan(perClass, 1);
        Training.DecouplingTrainer.RequireShape(network, pool);
        return SampleCorrectlyClassifiedFrom(ClassifyPool(network, pool), network.Classes, pool, perClass, seed, exclude);
    }

    /// <summary>The network's scores [pool.Count, classes] on every image of <paramref name="pool"/>, for <see cref="SampleCorrectlyClassifiedFrom"/>.</summary>
    internal static float[] ClassifyPool(DecoupledNetwork network, ImageDataset pool) => NetworkReadout.Run(network, pool.Pixels, pool.Count).Scores;

    /// <summary>
    /// <see cref="SampleCorrectlyClassified(DecoupledNetwork, ImageDataset, int, int, IReadOnlySet{int}?)"/> from scores computed
    /// once (<see cref="ClassifyPool"/>): drawing several disjoint samples from one pool runs the network over it once.
    /// </summary>
    /// <exception cref="ArgumentException">A class has fewer than <paramref name="perClass"/> eligible images; the exception
    /// names <paramref name="parameter"/>, the caller's name for that count.</exception>
    internal static int[] SampleCorrectlyClassifiedFrom(float[] scores, int classes, ImageDataset pool, int perClass, int seed, IReadOnlySet<int>? exclude = null, string parameter = "perClass")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perClass, 1);
        var byClass = Enumerable.Range(0, classes).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < pool.Count; i++)
        {
            int label = pool.GetLabel(i);
            if (exclude?.Contains(i) != true && System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores.AsSpan(i * classes, classes)) == label)
            {
                byClass[label].Add(i);
            }
        }

        var random = Seeding.DistinctSeedRandom.Create(seed);
        var chosen = new List<int>(perClass * classes);
        for (int c = 0; c < classes; c++)
        {
            if (byClass[c].Count < perClass)
            {
                throw new ArgumentException($"Class {c} ('{pool.ClassNames[c]}') has {byClass[c].Count} correctly classified image(s) left in the pool; {perClass} per class were asked for.", parameter);
            }

            var candidates = byClass[c].ToArray();
            random.Shuffle(candidates);
            chosen.AddRange(candidates.Take(perClass));
        }

        return [.. chosen];
    }

    internal static PathReadout Read(DecoupledNetwork network, float[] pixels, int count, DetectionDataOptions options)
    {
        if (network.IsGated)
        {
            var readout = NetworkReadout.Run(network, pixels, count, batchSize: options.BatchSize);
            return new PathReadout(readout.Paths, readout.GateLogits, readout.GatedResponses, readout);
        }

        var (paths, margins, responses, dense) = options.DensePath!.Encode(network, pixels, count, options.BatchSize);
        return new PathReadout(paths, margins, responses, dense);
    }

    /// <summary>The path-shaped features of a batch of images (count×PathLength each) and the readout they came from.</summary>
    internal sealed record PathReadout(float[] Paths, float[] GateLogits, float[] Responses, NetworkReadout Readout);
}
