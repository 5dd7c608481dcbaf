using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using Microsoft.ML.Decoupling.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class AblationTests
{
    private const string SmallLayout = "8,16,M,16,32";
    private const int Batch = 32;
    private static readonly ImageShape _shape = new(1, 16, 16);
    private static readonly LossWeights _full = new(0.5, 1, 0.05, 0.5);

    private static (Tensor Input, Tensor Labels) FixedBatch()
    {
        var data = ShapesGenerator.Generate(count: Batch, seed: 41, imageSize: 16).Images;
        return (tensor(data.Pixels, new long[] { Batch, _shape.Size }), tensor(data.Labels.Select(l => (long)l).ToArray()));
    }

    private static DecoupledNetwork Network(bool gated)
    {
        var network = NetworkArchitecture.Vgg(SmallLayout).Build(_shape, ShapesGenerator.ClassNames.Count, gated, seed: 1);
        network.train();
        return network;
    }

    /// <summary>Lce, Lmi, Lkl, Ls and the total.</summary>
    private static float[] Values(LossTerms terms) =>
        [terms.CrossEntropy.item<float>(), terms.MutualInformation.item<float>(), terms.KullbackLeibler.item<float>(), terms.Sparsity.item<float>(), terms.Total.item<float>()];

    [TestMethod]
    public void AblationSwitches_ChangeExactlyTheLossTermsTheyName()
    {
        using var scope = NewDisposeScope();
        var (input, labels) = FixedBatch();
        using var network = Network(gated: true);
        using var gateNoise = SeededGenerator.Create(2);
        var output = network.Forward(input, gateNoise);
        Assert.HasCount(2, output.Gates, "conv1 and conv2 of the small VGG are gated");

        float[] full = Values(DecouplingObjective.Compute(network, output, labels, _full));
        for (int term = 1; term <= 3; term++)
        {
            Assert.IsGreaterThan(0f, full[term], $"term {term} is active on this batch, so switching it off is visible");
        }

        double[] lambdas = [_full.MutualInformation, _full.KullbackLeibler, _full.Sparsity];
        var ablations = new[]
        {
            _full with { MutualInformation = 0 },
            _full with { KullbackLeibler = 0 },
            _full with { Sparsity = 0 },
        };
        for (int i = 0; i < 3; i++)
        {
            float[] ablated = Values(DecouplingObjective.Compute(network, output, labels, ablations[i]));
            for (int term = 0; term < 4; term++)
            {
                Assert.AreEqual(full[term], ablated[term], $"ablation {i}: term {term} is unchanged (bitwise)");
            }

            double removed = lambdas[i] * full[i + 1];
            Assert.AreEqual(removed, full[4] - ablated[4], 1e-5 * Math.Max(1, Math.Abs(full[4])), $"ablation {i}: the total loses exactly λ·term");
            double expected = full[0] + Enumerable.Range(0, 3).Where(j => j != i).Sum(j => lambdas[j] * full[j + 1]);
            Assert.AreEqual(expected, ablated[4], 1e-5 * Math.Max(1, Math.Abs(expected)), $"ablation {i}: total = Lce + the other weighted terms");
        }

        float[] none = Values(DecouplingObjective.Compute(network, output, labels, new LossWeights(0, 0, 0, 0.5)));
        Assert.AreEqual(none[0], none[4], "with every λ at 0 the total is Lce (bitwise)");
        Assert.AreEqual(full[0], none[0]);
    }

    [TestMethod]
    public void DenseNetwork_HasNoGatesAnEmptyPathAndZeroDecouplingTerms()
    {
        using var scope = NewDisposeScope();
        var (input, labels) = FixedBatch();
        using var network = Network(gated: false);
        Assert.IsFalse(network.IsGated);
        Assert.IsEmpty(network.Gates);
        Assert.IsEmpty(network.Program.PathClassifiers);
        Assert.AreEqual(0, network.Description.PathLayout.PathLength);
        Assert.IsFalse(network.state_dict().Keys.Any(k => k.StartsWith("gates.", StringComparison.Ordinal) || k.StartsWith("path_classifiers.", StringComparison.Ordinal)));

        using var gateNoise = SeededGenerator.Create(2);
        var output = network.Forward(input, gateNoise);
        Assert.IsEmpty(output.Gates);
        Assert.IsEmpty(output.Responses);
        CollectionAssert.AreEqual(new long[] { Batch, 0 }, output.Path().shape);

        float[] values = Values(DecouplingObjective.Compute(network, output, labels, _full));
        Assert.AreEqual(0f, values[1]);
        Assert.AreEqual(0f, values[2]);
        Assert.AreEqual(0f, values[3]);
        Assert.AreEqual(values[0], values[4], "the total of a dense network is Lce (bitwise)");
        Assert.AreEqual(nn.functional.cross_entropy(output.Logits, labels).item<float>(), values[0]);
    }

    [TestMethod]
    public void MutualInformationWeightZero_GivesThePathClassifiersNoGradient()
    {
        using var scope = NewDisposeScope();
        var (input, labels) = FixedBatch();
        using var network = Network(gated: true);

        float[] LargestGradients(LossWeights weights)
        {
            using var step = NewDisposeScope();
            network.zero_grad();
            using var gateNoise = SeededGenerator.Create(2);
            var output = network.Forward(input, gateNoise);
            DecouplingObjective.Compute(network, output, labels, weights).Total.backward();
            return network.Program.PathClassifiers.Select(c => c.weight!.grad is { } g ? g.abs().max().item<float>() : 0f).ToArray();
        }

        Assert.HasCount(2, network.Program.PathClassifiers);
        float[] off = LargestGradients(_full with { MutualInformation = 0 });
        float[] on = LargestGradients(_full);
        CollectionAssert.AreEqual(new[] { 0f, 0f }, off, "λm = 0: no gradient reaches W_cla");
        Assert.IsTrue(on.All(g => g > 0), $"λm > 0: every W_cla gets a gradient ({string.Join(", ", on)})");
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(0.5)]
    public void GroupedTerms_EqualThePerLayerLossClasses_OnAResNet20(double targetRatio)
    {
        using var scope = NewDisposeScope();
        using var network = NetworkArchitecture.CifarResNet(20).Build(_shape, 10, seed: 3);
        network.train();
        using var draws = SeededGenerator.Create(4);
        // Random gate weights so that the gates and thus every term differ between layers.
        using (no_grad())
        {
            foreach (var gate in network.Gates)
            {
                gate.Squeeze.weight!.normal_(0, 1, draws);
            }
        }

        var input = rand([4, 1, 16, 16], generator: draws);
        var labels = tensor(new long[] { 0, 3, 7, 9 });
        var output = network.Forward(input, draws);
        Assert.HasCount(17, output.Gates, "every conv of a ResNet-20 but the first and the last is gated");
        Assert.AreEqual(3, output.Gates.Select(g => g.shape[1]).Distinct().Count(), "three widths: layers are grouped");

        var classifiers = network.Program.PathClassifiers;
        var (mi, kl, sparsity) = DecouplingObjective.GroupedTerms(classifiers, output.Gates, output.Responses, labels, targetRatio);
        var referenceMi = MutualInformationLoss.Compute(network.ClassifyPaths(output.Gates), labels);
        var referenceKl = KullbackLeiblerLoss.Compute(output.Gates, output.Responses);
        var referenceSparsity = SparsityLoss.Compute(output.Gates, targetRatio);
        AssertClose(referenceMi, mi, "Lmi");
        AssertClose(referenceKl, kl, "Lkl");
        AssertClose(referenceSparsity, sparsity, "Ls");

        // The same gradients w.r.t. the gates and the path classifiers.
        var inputs = output.Gates.Concat(classifiers.Select(c => c.weight!)).ToList();
        var grouped = autograd.grad([mi + kl + sparsity], inputs, retain_graph: true);
        var reference = autograd.grad([referenceMi + referenceKl + referenceSparsity], inputs, retain_graph: true);
        for (int i = 0; i < inputs.Count; i++)
        {
            double difference = (grouped[i] - reference[i]).abs().max().item<float>();
            double scale = Math.Max(1, reference[i].abs().max().item<float>());
            Assert.IsLessThanOrEqualTo(1e-5 * scale, difference, $"gradient {i}");
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double e = expected.item<float>();
        Assert.IsGreaterThan(0.0, Math.Abs(e), $"{what} is not trivially zero");
        Assert.AreEqual(e, actual.item<float>(), 1e-5 * Math.Max(1, Math.Abs(e)), what);
    }
}
