using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class SparsityWarmupTests
{
    [TestMethod]
    public void AtEpoch_RampsSparsityLinearlyFromZero_AndLeavesTheOtherWeights()
    {
        var weights = new LossWeights(0.5, 1, 0.04, 0.5) { SparsityWarmupEpochs = 4 };

        double[] ramp = [.. Enumerable.Range(0, 6).Select(e => weights.AtEpoch(e).Sparsity)];

        CollectionAssert.AreEqual(new[] { 0, 0.01, 0.02, 0.03, 0.04, 0.04 }, ramp.Select(v => Math.Round(v, 12)).ToArray());
        Assert.AreEqual(weights with { Sparsity = 0 }, weights.AtEpoch(0));
        Assert.AreSame(weights, weights.AtEpoch(4));
        var none = new LossWeights(0.5, 1, 0.04, 0.5);
        Assert.AreSame(none, none.AtEpoch(0), "no warm-up: λs from the first epoch, as in the paper");
        Assert.AreNotEqual(none, weights, "a checkpoint of a run with another warm-up is another run");
    }

    [TestMethod]
    public void Options_RejectANegativeWarmup_NamingTheOption_AndAcceptOneLongerThanTheRun()
    {
        var options = new DecoupleNetworkEstimator.Options { Epochs = 3, SparsityWarmupEpochs = -1 };

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.Validate());

        Assert.AreEqual(nameof(DecoupleNetworkEstimator.Options.SparsityWarmupEpochs), error.ParamName);
        options.SparsityWarmupEpochs = 4;
        options.Validate();
        Assert.AreEqual(0.75 * 0.04, new LossWeights(0.5, 1, 0.04, 0.5) { SparsityWarmupEpochs = 4 }.AtEpoch(2 + 1).Sparsity, 1e-12, "the last epoch of 3 is still ramping");
        DecoupleNetworkEstimator.Options.ForDynamicPaths().Validate();
        DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths().Validate();
    }
}
