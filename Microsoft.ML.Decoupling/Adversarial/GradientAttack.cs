using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>The projected-gradient loop behind every <see cref="AdversarialAttack"/>.</summary>
internal static class GradientAttack
{
    public static void RequireInputs(DecoupledNetwork network, float[] pixels, int[] labels, int[]? targets, bool targeted, string attack)
    {
        // In [0, 1]: the attack clips to it and its budget holds there only.
        Inference.PixelInput.Check(network, pixels, labels.Length, nameof(pixels), unitRange: true);

        foreach (int label in labels.Where(l => l < 0 || l >= network.Classes).Take(1))
        {
            throw new ArgumentOutOfRangeException(nameof(labels), label, $"Labels must be classes in [0, {network.Classes}).");
        }

        if (!targeted)
        {
            if (targets is not null)
            {
                throw new ArgumentException($"{attack} is untargeted; targets were given. Create the attack with targeted: true to use them.", nameof(targets));
            }

            return;
        }

        if (targets is null || targets.Length != labels.Length)
        {
            throw new ArgumentException($"{attack} is targeted: give one target class per image ({labels.Length}), e.g. AttackTargets.RandomOther; got {(targets is null ? "none" : targets.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))}.", nameof(targets));
        }

        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] < 0 || targets[i] >= network.Classes)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i], $"Target of image {i} must be a class in [0, {network.Classes}).");
            }

            if (targets[i] == labels[i])
            {
                throw new ArgumentException($"Target of image {i} is its own class {labels[i]}; a targeted attack needs another class.", nameof(targets));
            }
        }
    }

    public static AdversarialAttackResult Run(DecoupledNetwork network, float[] pixels, int[] labels, int[]? targets, AdversarialAttack attack, int seed, int batchSize)
    {
        Native.ConvolutionSelfCheck.EnsureCorrectFor(network.Device);
        int imageSize = network.Input.Size;
        int count = labels.Length;
        var adversarial = new float[pixels.Length];
        var predicted = new int[count];
        var succeeded = new bool[count];
        bool wasTraining = network.training;
        network.eval();
        // TorchSharp's generators live on the CPU: random starts are drawn there and copied (see SeededGenerator).
        using var generator = SeededGenerator.Create(seed);
        try
        {
            for (int start = 0; start < count; start += batchSize)
            {
                int size = Math.Min(batchSize, count - start);
                // No collection while TorchSharp's temporary scalars (ε, the step, BatchNorm's) may still be read natively.
                using var collectionPause = Native.ScalarLifetimeGuard.Enter();
                using var scope = NewDisposeScope();
                var clean = tensor(pixels.AsSpan(start * imageSize, size * imageSize).ToArray(), new long[] { size, imageSize }, device: network.Device);
                var classes = tensor(((targets ?? labels).AsSpan(start, size)).ToArray().Select(l => (long)l).ToArray(), new long[] { size }, device: network.Device);
                var x = Perturb(network, clean, classes, attack, generator);
                using (no_grad())
                {
                    x.cpu().data<float>().CopyTo(adversarial, start * imageSize);
                    var argmax = network.forward(x).Logits.argmax(1).cpu().data<long>().ToArray();
                    for (int i = 0; i < size; i++)
                    {
                        predicted[start + i] = (int)argmax[i];
                        succeeded[start + i] = attack.IsTargeted ? argmax[i] == targets![start + i] : argmax[i] != labels[start + i];
                    }
                }
            }
        }
        finally
        {
            network.train(wasTraining);
        }

        return new AdversarialAttackResult(attack.ToString(), adversarial, predicted, succeeded, targets?.ToArray());
    }

    private static Tensor Perturb(DecoupledNetwork network, Tensor clean, Tensor classes, AdversarialAttack attack, Generator generator)
    {
        double epsilon = attack.Epsilon;
        var x = clean;
        if (attack.RandomStart)
        {
            using (no_grad())
            {
                x = Project(clean, clean + RandomPoint(clean, attack.Norm, epsilon, generator), attack.Norm, epsilon);
            }
        }

        for (int step = 0; step < attack.Steps; step++)
        {
            var input = x.detach().requires_grad_(true);
            var loss = nn.functional.cross_entropy(network.forward(input).Logits, classes, reduction: nn.Reduction.Sum);
            var gradient = autograd.grad([loss], [input])[0];
            using (no_grad())
            {
                // Untargeted: climb the loss of the true class; targeted: descend the loss of the target class.
                double direction = attack.IsTargeted ? -attack.StepSize : attack.StepSize;
                var move = attack.Norm == PerturbationNorm.LInfinity
                    ? gradient.sign()
                    : gradient / gradient.norm(1, keepdim: true).clamp_min(1e-12);
                x = Project(clean, input.detach() + (direction * move), attack.Norm, epsilon);
            }
        }

        return x.detach();
    }

    /// <summary>Projects x onto the ε-ball around <paramref name="clean"/>, then clips to [0, 1] (clipping never enlarges δ).</summary>
    private static Tensor Project(Tensor clean, Tensor x, PerturbationNorm norm, double epsilon)
    {
        var delta = x - clean;
        if (norm == PerturbationNorm.LInfinity)
        {
            delta = delta.clamp(-epsilon, epsilon);
        }
        else
        {
            // Scale in float64: the budget must hold to 1e-5 after rounding back to float32.
            var length = delta.to_type(ScalarType.Float64).norm(1, keepdim: true);
            delta = (delta.to_type(ScalarType.Float64) * (epsilon / length.clamp_min(1e-12)).clamp_max(1.0)).to_type(ScalarType.Float32);
        }

        return (clean + delta).clamp(0.0, 1.0);
    }

    private static Tensor RandomPoint(Tensor like, PerturbationNorm norm, double epsilon, Generator generator)
    {
        if (norm == PerturbationNorm.LInfinity)
        {
            return ((rand(like.shape, generator: generator) * 2 - 1) * epsilon).to(like.device);
        }

        // Uniform in the L2 ball: a Gaussian direction, radius ε·u^(1/d).
        var direction = randn(like.shape, generator: generator);
        direction /= direction.norm(1, keepdim: true).clamp_min(1e-12);
        var radius = rand(new long[] { like.shape[0], 1 }, generator: generator).pow(1.0 / like.shape[1]) * epsilon;
        return (direction * radius).to(like.device);
    }
}
