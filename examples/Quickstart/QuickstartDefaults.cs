using Microsoft.ML.Decoupling.Transforms;

namespace Quickstart;

/// <summary>The Quickstart's data sizes and training budget when the command line gives none.</summary>
internal static class QuickstartDefaults
{
    /// <summary>
    /// Fashion-MNIST: the first 40 000 training images. With <see cref="FashionMnistDensePretrainingEpochs"/> and
    /// <see cref="FashionMnistEpochs"/> this is 0.7 of the work of the preset's own budget (8 + 12 epochs on 20 000 images,
    /// where the recipe sweep chose it) at the same test accuracy on three seeds (BENCHMARKS.md, "The main job in less
    /// time", issue 18).
    /// </summary>
    public const int FashionMnistTrainImages = 40_000;

    /// <summary>Fashion-MNIST: epochs of dense pretraining (the preset's losses and schedule, a shorter budget).</summary>
    public const int FashionMnistDensePretrainingEpochs = 2;

    /// <summary>Fashion-MNIST: decoupling epochs after the dense pretraining.</summary>
    public const int FashionMnistEpochs = 5;

    /// <summary>Shapes: how many training images to generate.</summary>
    public const int ShapesTrainImages = 4000;

    /// <summary>Shapes: epochs of dense pretraining, the preset's (<see cref="DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths"/>).</summary>
    public static int ShapesDensePretrainingEpochs => DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths().DensePretrainingEpochs;

    /// <summary>Shapes: decoupling epochs, the preset's.</summary>
    public static int ShapesEpochs => DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths().Epochs;
}
