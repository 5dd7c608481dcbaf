using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling;

/// <summary>ML.NET catalog entry points of this package.</summary>
public static class DecouplingCatalog
{
    /// <summary>
    /// Trains a decoupled CNN (Li et al., ECCV 2020) with the paper's default hyper-parameters for VGG networks.
    /// </summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="featureColumnName">Image column: known-size Vector&lt;Single&gt; of C·H·W values in [0, 1].</param>
    /// <param name="imageChannels">C; height and width are inferred for square images.</param>
    /// <param name="epochs">Training epochs.</param>
    /// <param name="targetRatio">R, the target ratio of active filters (0 learns the sparsity).</param>
    public static DecoupleNetworkEstimator DecoupleNetwork(
        this TransformsCatalog catalog,
        string labelColumnName = DecouplingColumnNames.Label,
        string featureColumnName = DecouplingColumnNames.Image,
        int imageChannels = DecoupleNetworkDefaults.ImageChannels,
        int epochs = DecoupleNetworkDefaults.Epochs,
        double targetRatio = DecoupleNetworkDefaults.TargetRatio) =>
        catalog.DecoupleNetwork(new DecoupleNetworkEstimator.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            ImageChannels = imageChannels,
            Epochs = epochs,
            TargetRatio = targetRatio,
        });

    /// <summary>Trains a decoupled CNN with full control over architecture, losses and optimisation.</summary>
    /// <param name="catalog">The transforms catalog (<c>mlContext.Transforms</c>).</param>
    /// <param name="options">Options; invalid values are rejected here, before any training.</param>
    public static DecoupleNetworkEstimator DecoupleNetwork(this TransformsCatalog catalog, DecoupleNetworkEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DecoupleNetworkEstimator(catalog, options);
    }
}
