namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>Ways to pick the target classes of a targeted attack.</summary>
public static class AttackTargets
{
    /// <summary>For each image a target drawn uniformly (seeded) from the classes other than its own.</summary>
    /// <param name="labels">True classes (0-based).</param>
    /// <param name="classes">Number of classes K (≥ 2).</param>
    /// <param name="seed">Seed of the draw.</param>
    public static int[] RandomOther(IReadOnlyList<int> labels, int classes, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        RequireClasses(labels, classes);
        var random = Seeding.DistinctSeedRandom.Create(seed);
        return labels.Select(label => (label + 1 + random.Next(classes - 1)) % classes).ToArray();
    }

    /// <summary>The same target for every image (the paper's "dog → truck"); images of that class cannot be targeted at it.</summary>
    /// <param name="labels">True classes (0-based).</param>
    /// <param name="classes">Number of classes K (≥ 2).</param>
    /// <param name="target">Target class (0-based).</param>
    public static int[] Fixed(IReadOnlyList<int> labels, int classes, int target)
    {
        ArgumentNullException.ThrowIfNull(labels);
        RequireClasses(labels, classes);
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(target, classes);
        int own = labels.Count(l => l == target);
        if (own > 0)
        {
            throw new ArgumentException($"{own} image(s) already belong to the target class {target}; leave them out of a targeted attack on that class.", nameof(labels));
        }

        return Enumerable.Repeat(target, labels.Count).ToArray();
    }

    private static void RequireClasses(IReadOnlyList<int> labels, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        foreach (int label in labels.Where(l => l < 0 || l >= classes).Take(1))
        {
            throw new ArgumentOutOfRangeException(nameof(labels), $"Labels must be classes in [0, {classes}); found {label}.");
        }
    }
}
