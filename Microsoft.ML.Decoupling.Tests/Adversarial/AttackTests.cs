using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class AttackTests
{
    private static ImageDataset Images(int count) => TrainedShapesNetworks.TestImages.Slice(0, count);

    private static double CrossEntropy(DecoupledNetwork network, float[] pixels, int[] labels)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = network.forward(tensor(pixels, new long[] { labels.Length, network.Input.Size })).Logits;
        return nn.functional.cross_entropy(logits, tensor(labels.Select(l => (long)l).ToArray())).item<float>();
    }

    private static (double LInfinity, double L2) LargestPerturbation(float[] clean, float[] adversarial, int imageSize)
    {
        double inf = 0, l2 = 0;
        for (int image = 0; image < clean.Length / imageSize; image++)
        {
            double sum = 0;
            for (int i = image * imageSize; i < (image + 1) * imageSize; i++)
            {
                double d = adversarial[i] - (double)clean[i];
                inf = Math.Max(inf, Math.Abs(d));
                sum += d * d;
            }

            l2 = Math.Max(l2, Math.Sqrt(sum));
        }

        return (inf, l2);
    }

    public static IEnumerable<object[]> UntargetedAttacks() =>
    [
        [new FastGradientSignMethod(0.05)],
        [new ProjectedGradientDescent(PerturbationNorm.LInfinity, 0.05, steps: 5, stepSize: 0.02)],
        [new ProjectedGradientDescent(PerturbationNorm.L2, 0.8, steps: 5, stepSize: 0.3)],
        [new IterativeFastGradientSignMethod(steps: 5, stepSize: 0.01, targeted: false)],
    ];

    [TestMethod]
    [DynamicData(nameof(UntargetedAttacks))]
    public void UntargetedAttack_RaisesTheLossWithinItsBudgetAndTheUnitRange(AdversarialAttack attack)
    {
        var network = TrainedShapesNetworks.Gated;
        var images = Images(200);
        var result = attack.Run(network, images, seed: 4);
        var (inf, l2) = LargestPerturbation(images.Pixels, result.Pixels, images.ImageSize);
        if (attack.Norm == PerturbationNorm.LInfinity)
        {
            Assert.IsTrue(inf <= attack.Epsilon + 1e-6, $"‖δ‖∞ = {inf} > ε = {attack.Epsilon}");
        }
        else
        {
            Assert.IsTrue(l2 <= attack.Epsilon + 1e-5, $"‖δ‖₂ = {l2} > ε = {attack.Epsilon}");
        }

        Assert.IsTrue(result.Pixels.All(p => p is >= 0f and <= 1f), "pixels stay in [0, 1]");
        double before = CrossEntropy(network, images.Pixels, images.Labels);
        double after = CrossEntropy(network, result.Pixels, images.Labels);
        Console.WriteLine($"{attack}: loss {before:F3} → {after:F3}, success {result.SuccessRate:P1}");
        Assert.IsTrue(after > before + 0.1, $"{attack}: loss {before:F3} → {after:F3}");
        for (int i = 0; i < result.Count; i++)
        {
            Assert.AreEqual(result.Predicted[i] != images.GetLabel(i), result.Succeeded[i], "untargeted success = misclassified");
        }
    }

    [TestMethod]
    public void TargetedAttacks_ReachTheirTargets()
    {
        var network = TrainedShapesNetworks.Gated;
        var images = Images(200);
        var targets = AttackTargets.RandomOther(images.Labels, network.Classes, seed: 5);
        foreach (var attack in new AdversarialAttack[]
        {
            new IterativeFastGradientSignMethod(steps: 10, stepSize: 0.02),
            new ProjectedGradientDescent(PerturbationNorm.LInfinity, 0.2, steps: 10, stepSize: 0.03, targeted: true),
        })
        {
            var result = attack.Run(network, images, targets, seed: 6);
            var (inf, _) = LargestPerturbation(images.Pixels, result.Pixels, images.ImageSize);
            Assert.IsTrue(inf <= attack.Epsilon + 1e-6);
            for (int i = 0; i < result.Count; i++)
            {
                Assert.AreEqual(result.Predicted[i] == targets[i], result.Succeeded[i], "targeted success = predicted target");
            }

            Console.WriteLine($"{attack}: targeted success {result.SuccessRate:P1}");
            // Bound set well below what these budgets reach on this network (measured 0.9+ for both).
            Assert.IsTrue(result.SuccessRate > 0.6, $"{attack}: targeted success {result.SuccessRate:P1}");
        }
    }

    [TestMethod]
    public void RandomStart_IsReproducibleFromTheSeed()
    {
        var network = TrainedShapesNetworks.Gated;
        var images = Images(40);
        var attack = new ProjectedGradientDescent(PerturbationNorm.L2, 0.5, steps: 2, stepSize: 0.2);
        var first = attack.Run(network, images, seed: 9);
        CollectionAssert.AreEqual(first.Pixels, attack.Run(network, images, seed: 9).Pixels);
        CollectionAssert.AreNotEqual(first.Pixels, attack.Run(network, images, seed: 10).Pixels);
    }

    [TestMethod]
    public void BadSettingsAndInputs_AreRejectedBeforeAnyWork()
    {
        var network = TrainedShapesNetworks.Gated;
        var images = Images(10);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new FastGradientSignMethod(0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new FastGradientSignMethod(-0.1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new FastGradientSignMethod(1.5));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ProjectedGradientDescent(PerturbationNorm.L2, double.NaN, 3, 0.1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ProjectedGradientDescent(PerturbationNorm.LInfinity, 0.1, 0, 0.1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ProjectedGradientDescent(PerturbationNorm.LInfinity, 0.1, 3, 0));
        var targeted = new IterativeFastGradientSignMethod();
        var missing = Assert.ThrowsExactly<ArgumentException>(() => targeted.Run(network, images));
        StringAssert.Contains(missing.Message, "targeted");
        var unknown = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => targeted.Run(network, images, Enumerable.Repeat(99, 10).ToArray()));
        StringAssert.Contains(unknown.Message, "[0, 6)");
        var own = images.Labels.ToArray();
        Assert.ThrowsExactly<ArgumentException>(() => targeted.Run(network, images, own));
        Assert.ThrowsExactly<ArgumentException>(() => new FastGradientSignMethod(0.1).Run(network, images, AttackTargets.RandomOther(images.Labels, 6, 1)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => AttackTargets.RandomOther([0, 7], 6, 1));
        Assert.ThrowsExactly<ArgumentException>(() => AttackTargets.Fixed([0, 2], 6, 2));
        var wrongSize = ShapesGenerator.Generate(count: 4, seed: 1, imageSize: 20).Images;
        Assert.ThrowsExactly<ArgumentException>(() => new FastGradientSignMethod(0.1).Run(network, wrongSize));
    }
}
