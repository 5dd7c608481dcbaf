using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class SemanticHashingTests
{
    [TestMethod]
    public void SaturatingSigmoid_MatchesHandValues()
    {
        using var x = tensor(new float[] { -10f, 0f, 10f, 1f });
        using var y = SemanticHashing.SaturatingSigmoid(x);
        var v = y.data<float>().ToArray();
        Assert.AreEqual(0f, v[0], 1e-6f);
        Assert.AreEqual(0.5f, v[1], 1e-6f); // 1.2·0.5 − 0.1
        Assert.AreEqual(1f, v[2], 1e-6f);
        Assert.AreEqual(Math.Min(1.0, (1.2 / (1 + Math.Exp(-1))) - 0.1), v[3], 1e-6);
    }

    [TestMethod]
    public void Train_HardRowsAreBinary_SoftRowsAreSaturatingSigmoid()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0.3f, -0.2f, 2f, -3f, 0.3f, -0.2f, 2f, -3f }, new long[] { 2, 4 });
        var noise = zeros(2, 4);
        var hard = tensor(new[] { true, false }, new long[] { 2, 1 });
        var z = SemanticHashing.Train(logits, noise, hard);
        // The straight-through sum v2 + v1 − v1 can be off by one ulp; the value is binary up to rounding.
        var hardRow = z[0].data<float>().ToArray();
        CollectionAssert.AreEqual(new[] { 1f, 0f, 1f, 0f }, hardRow.Select(v => MathF.Round(v, 5)).ToArray());
        var soft = SemanticHashing.SaturatingSigmoid(logits[1]).data<float>().ToArray();
        CollectionAssert.AreEqual(soft, z[1].data<float>().ToArray());
    }

    [TestMethod]
    public void Train_GradientIsStraightThroughTheSoftBranchForEveryRow()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0.3f, -0.2f, 0.3f, -0.2f }, new long[] { 2, 2 }).requires_grad_(true);
        var z = SemanticHashing.Train(logits, zeros(2, 2), tensor(new[] { true, false }, new long[] { 2, 1 }));
        z.sum().backward();
        var grad = logits.grad!.data<float>().ToArray();
        // d/dx (1.2·σ(x) − 0.1) = 1.2·σ(x)(1 − σ(x)), for the hard row (straight-through) and the soft row alike.
        double Expected(double x) => 1.2 * (1 / (1 + Math.Exp(-x))) * (1 - (1 / (1 + Math.Exp(-x))));
        Assert.AreEqual(Expected(0.3), grad[0], 1e-5);
        Assert.AreEqual(Expected(-0.2), grad[1], 1e-5);
        Assert.AreEqual(grad[0], grad[2], 1e-6);
        Assert.AreEqual(grad[1], grad[3], 1e-6);
    }

    [TestMethod]
    public void Train_AddsNoiseAndMixesHardAndSoftHalves()
    {
        using var scope = NewDisposeScope();
        using var generator = SeededGenerator.Create(7);
        var logits = zeros(4000, 8);
        var z = SemanticHashing.Train(logits, generator);
        var values = z.data<float>().ToArray();
        // Without noise every gate at g = 0 would be 0.5 (soft) or 0 (hard); the noise spreads them over [0, 1].
        Assert.IsTrue(values.Distinct().Count() > 100, "noise must make soft gates vary");
        var binaryRows = Enumerable.Range(0, 4000).Count(r => values.Skip(r * 8).Take(8).All(v => Math.Abs(v) < 1e-6 || Math.Abs(v - 1) < 1e-6));
        Assert.IsTrue(binaryRows is > 1800 and < 2200, $"about half the rows should be hard, got {binaryRows}");
    }

    [TestMethod]
    [DoNotParallelize] // compares the default path, which draws from torch's process-wide generator, and checks that generator
    public void Train_WithAGenerator_DrawsFromItAlone()
    {
        using var scope = NewDisposeScope();
        using var logitDraws = SeededGenerator.Create(10);
        var logits = randn([64, 8], generator: logitDraws);
        manual_seed(11);
        var firstDraws = rand(4).data<float>().ToArray();
        manual_seed(11);
        var fromGlobal = SemanticHashing.Train(logits).data<float>().ToArray();

        // Seeded alike, the fit's generator draws the same noise and hard rows; the process-wide one does not move.
        manual_seed(11);
        using var generator = SeededGenerator.Create(11);
        var fromOwned = SemanticHashing.Train(logits, generator).data<float>().ToArray();
        using var other = SeededGenerator.Create(12);
        var fromOther = SemanticHashing.Train(logits, other).data<float>().ToArray();
        CollectionAssert.AreEqual(fromGlobal, fromOwned);
        CollectionAssert.AreNotEqual(fromGlobal, fromOther);
        CollectionAssert.AreEqual(firstDraws, rand(4).data<float>().ToArray(), "the process-wide generator moved");
    }

    [TestMethod]
    public void Evaluate_IsTheSignOfTheLogits()
    {
        using var logits = tensor(new float[] { 0.1f, -0.1f, 0f, 5f });
        using var z = SemanticHashing.Evaluate(logits);
        CollectionAssert.AreEqual(new[] { 1f, 0f, 0f, 1f }, z.data<float>().ToArray());
    }
}
