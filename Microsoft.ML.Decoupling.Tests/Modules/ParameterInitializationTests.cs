using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
[DoNotParallelize] // reads and seeds torch's process-wide generator
public sealed class ParameterInitializationTests
{
    private const int Seed = 17;

    [TestMethod]
    public void Layers_DrawExactlyWhatTorchSharpsConstructorsDraw()
    {
        // TorchSharp's constructors draw from the process-wide generator; ours from a given one seeded the same way.
        AssertSameDraws(() => nn.Conv2d(6, 10, 3, stride: 2, padding: 1, bias: false), g => ParameterInitialization.Conv2d(6, 10, 3, 2, 1, bias: false, g), "conv");
        AssertSameDraws(() => nn.Conv2d(3, 5, 7, bias: true), g => ParameterInitialization.Conv2d(3, 5, 7, 1, 0, bias: true, g), "conv with bias");
        AssertSameDraws(() => nn.Linear(12, 4), g => ParameterInitialization.Linear(12, 4, bias: true, g), "linear");
        AssertSameDraws(() => nn.Linear(9, 3, hasBias: false), g => ParameterInitialization.Linear(9, 3, bias: false, g), "linear without bias");
    }

    [TestMethod]
    public void Layers_WithAGenerator_LeaveTheProcessWideGeneratorAlone()
    {
        manual_seed(Seed);
        using var expected = rand(4);
        manual_seed(Seed);
        using (var generator = SeededGenerator.Create(3))
        using (ParameterInitialization.Conv2d(4, 8, 3, 1, 1, bias: true, generator))
        using (ParameterInitialization.Linear(8, 2, bias: true, generator))
        {
        }

        using var actual = rand(4);
        CollectionAssert.AreEqual(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }

    [TestMethod]
    public void Build_WithASeed_EqualsManualSeedThenBuild_AndLeavesTheProcessWideGeneratorAlone()
    {
        var shape = new ImageShape(3, 16, 16);
        foreach (var architecture in new[] { NetworkArchitecture.Vgg("4,8,M,8", convolutionBias: true), NetworkArchitecture.CifarResNet(8) })
        {
            manual_seed(Seed);
            StateDictSnapshot expected;
            using (var network = architecture.Build(shape, 5))
            {
                expected = StateDictSnapshot.Of(network);
            }

            manual_seed(1);
            using var before = rand(4);
            manual_seed(1);
            using (var seeded = architecture.Build(shape, 5, seed: Seed))
            {
                StateDictSnapshot.AssertIdentical(expected, StateDictSnapshot.Of(seeded), architecture.ToString());
                Assert.IsTrue(seeded.Gates.All(g => g.Squeeze.weight!.count_nonzero().item<long>() == 0), "W1 = 0 (DESIGN.md §2)");
            }

            using var after = rand(4);
            CollectionAssert.AreEqual(before.data<float>().ToArray(), after.data<float>().ToArray(), $"{architecture}: the process-wide generator moved");
        }
    }

    private static void AssertSameDraws(Func<nn.Module> reference, Func<Generator?, nn.Module> ours, string what)
    {
        manual_seed(Seed);
        using var expectedModule = reference();
        var expected = StateDictSnapshot.Of(expectedModule);
        using (var generator = SeededGenerator.Create(Seed))
        using (var owned = ours(generator))
        {
            StateDictSnapshot.AssertIdentical(expected, StateDictSnapshot.Of(owned), $"{what}, own generator");
            CollectionAssert.AreEqual(expected.Keys.ToArray(), StateDictSnapshot.Of(owned).Keys.ToArray(), $"{what}: key order");
        }

        manual_seed(Seed);
        using var global = ours(null);
        StateDictSnapshot.AssertIdentical(expected, StateDictSnapshot.Of(global), $"{what}, process-wide generator");
    }
}
