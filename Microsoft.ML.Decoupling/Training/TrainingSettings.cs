namespace Microsoft.ML.Decoupling.Training;

/// <summary>Optimisation settings: SGD with momentum, lr divided by 10 at 50% and 75% of the epochs (paper §4).</summary>
/// <param name="Epochs">Number of epochs.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="LearningRate">Initial learning rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">L2 weight decay on every parameter, gates included (authors' release).</param>
/// <param name="Weights">Decoupling loss weights.</param>
/// <param name="Seed">Seed of the shuffling, the gate noise and the hard/soft choice (torch's generator is reseeded when training starts; parameter initialisation is seeded by whoever builds the network).</param>
public sealed record TrainingSettings(int Epochs, int BatchSize, double LearningRate, double Momentum, double WeightDecay, LossWeights Weights, int Seed)
{
    /// <summary>The learning rate of 0-based <paramref name="epoch"/>: ÷10 from ceil(0.5·E) and again from ceil(0.75·E).</summary>
    public double LearningRateAt(int epoch)
    {
        double rate = LearningRate;
        if (epoch >= (int)Math.Ceiling(0.5 * Epochs))
        {
            rate /= 10;
        }

        if (epoch >= (int)Math.Ceiling(0.75 * Epochs))
        {
            rate /= 10;
        }

        return rate;
    }
}
