using Microsoft.ML.Decoupling.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

[TestClass]
public sealed class LossTests
{
    [TestMethod]
    public void MutualInformationLoss_IsSumOfPerLayerCrossEntropies()
    {
        using var scope = NewDisposeScope();
        var layer1 = tensor(new float[] { 2f, 0f, 0f, 1f }, new long[] { 2, 2 });
        var layer2 = tensor(new float[] { 0f, 0f, 3f, 0f }, new long[] { 2, 2 });
        var labels = tensor(new long[] { 0, 1 });
        double ce1 = (-Math.Log(Math.Exp(2) / (Math.Exp(2) + 1)) - Math.Log(Math.Exp(1) / (Math.Exp(1) + 1))) / 2;
        double ce2 = (-Math.Log(0.5) - Math.Log(1 / (Math.Exp(3) + 1))) / 2;
        var loss = MutualInformationLoss.Compute([layer1, layer2], labels);
        Assert.AreEqual(ce1 + ce2, loss.item<float>(), 1e-5);
    }

    [TestMethod]
    public void KullbackLeiblerLoss_MatchesHandComputedSoftmaxKl()
    {
        using var scope = NewDisposeScope();
        var z = tensor(new float[] { 1f, 0f }, new long[] { 1, 2 });
        var y = tensor(new float[] { 0.5f, 2f }, new long[] { 1, 2 });
        double[] p = Softmax(1, 0), q = Softmax(0.5, 2);
        double kl = ((p[0] * Math.Log(p[0] / q[0])) + (p[1] * Math.Log(p[1] / q[1]))) / 2; // mean over B·N = 2 elements
        var loss = KullbackLeiblerLoss.Compute([z], [y]);
        Assert.AreEqual(kl, loss.item<float>(), 1e-6);
        var same = KullbackLeiblerLoss.Compute([z], [z]);
        Assert.AreEqual(0.0, same.item<float>(), 1e-7);
    }

    [TestMethod]
    public void SparsityLoss_IsDistanceOfMeanActiveCountFromTarget()
    {
        using var scope = NewDisposeScope();
        // Batch of 2, N = 4: active counts 3 and 1 → mean 2.
        var z = tensor(new float[] { 1, 1, 1, 0, 0, 0, 1, 0 }, new long[] { 2, 4 });
        Assert.AreEqual(2.0, SparsityLoss.Compute([z], 0).item<float>(), 1e-6);
        Assert.AreEqual(1.0, SparsityLoss.Compute([z], 0.75).item<float>(), 1e-6);
        Assert.AreEqual(4.0, SparsityLoss.Compute([z, z], 0).item<float>(), 1e-6);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparsityLoss.Compute([z], 1.5));
    }

    [TestMethod]
    public void LearningRate_DropsTenfoldAtHalfAndThreeQuartersOfTheEpochs()
    {
        var settings = new TrainingSettings(8, 128, 0.1, 0.9, 1e-4, new LossWeights(0, 0, 0, 0), 1);
        var rates = Enumerable.Range(0, 8).Select(settings.LearningRateAt).ToArray();
        CollectionAssert.AreEqual(new[] { 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001 }, rates.Select(r => Math.Round(r, 6)).ToArray());
    }

    private static double[] Softmax(double a, double b) => [Math.Exp(a) / (Math.Exp(a) + Math.Exp(b)), Math.Exp(b) / (Math.Exp(a) + Math.Exp(b))];
}
