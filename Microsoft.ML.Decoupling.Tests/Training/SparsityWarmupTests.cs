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
    public void Options_RejectAWarmupLongerThanTheRun_NamingTheOption()
    {
        var options = new DecoupleNetworkEstimator.Options { Epochs = 3, SparsityWarmupEpochs = 4 };

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.Validate());

        Assert.AreEqual(nameof(DecoupleNetworkEstimator.Options.SparsityWarmupEpochs), error.ParamName);
        options.SparsityWarmupEpochs = -1;
        Assert.AreEqual(nameof(DecoupleNetworkEstimator.Options.SparsityWarmupEpochs), Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.Validate()).ParamName);
        options.SparsityWarmupEpochs = 3;
        options.Validate();
    }
}
