namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>Settings of the path embedding: PCA, then exact t-SNE (van der Maaten and Hinton, 2008).</summary>
public sealed class TsneOptions
{
    /// <summary>Paths are first projected onto this many principal components. Default 50.</summary>
    public int PcaDimensions { get; set; } = 50;

    /// <summary>
    /// t-SNE perplexity (effective number of neighbours). Default 30. A perplexity needs about three times as many
    /// points: on n embedded paths, min(Perplexity, (n − 1) / 3) is used, without a warning, as PcaDimensions is capped
    /// by the paths' rank and MaxSamples by their count; refusing would break the default on sets of fewer than 91 paths.
    /// </summary>
    public double Perplexity { get; set; } = 30;

    /// <summary>Gradient steps. Default 1000.</summary>
    public int Iterations { get; set; } = 1000;

    /// <summary>Steps with early exaggeration (of <see cref="EarlyExaggeration"/>) and momentum 0.5. Default 250.</summary>
    public int ExaggerationIterations { get; set; } = 250;

    /// <summary>Factor on P during the first steps. Default 12.</summary>
    public double EarlyExaggeration { get; set; } = 12;

    /// <summary>Learning rate, or null for max(n / EarlyExaggeration / 4, 50) as in scikit-learn's "auto". Default null.</summary>
    public double? LearningRate { get; set; }

    /// <summary>At most this many paths (a seeded sample) are embedded; exact t-SNE costs n² memory and time. Default 2000.</summary>
    public int MaxSamples { get; set; } = 2000;

    /// <summary>Seed of the sample and of the initial layout. Default 0.</summary>
    public int Seed { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(PcaDimensions, 2, $"{nameof(TsneOptions)}.{nameof(PcaDimensions)}");
        if (!(Perplexity >= 1 && double.IsFinite(Perplexity)))
        {
            throw new ArgumentOutOfRangeException($"{nameof(TsneOptions)}.{nameof(Perplexity)}", Perplexity, "Expected a finite perplexity of at least 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Iterations, 1, $"{nameof(TsneOptions)}.{nameof(Iterations)}");
        ArgumentOutOfRangeException.ThrowIfNegative(ExaggerationIterations, $"{nameof(TsneOptions)}.{nameof(ExaggerationIterations)}");
        if (!(EarlyExaggeration >= 1 && double.IsFinite(EarlyExaggeration)))
        {
            throw new ArgumentOutOfRangeException($"{nameof(TsneOptions)}.{nameof(EarlyExaggeration)}", EarlyExaggeration, "Expected a finite factor of at least 1.");
        }

        if (LearningRate is { } rate && !(rate > 0 && double.IsFinite(rate)))
        {
            throw new ArgumentOutOfRangeException($"{nameof(TsneOptions)}.{nameof(LearningRate)}", rate, "Expected a finite, positive learning rate.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSamples, 3, $"{nameof(TsneOptions)}.{nameof(MaxSamples)}");
    }
}
