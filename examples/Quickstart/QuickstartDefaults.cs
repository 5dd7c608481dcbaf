namespace Quickstart;

/// <summary>The Quickstart's data sizes when the command line gives none.</summary>
internal static class QuickstartDefaults
{
    /// <summary>Fashion-MNIST: the first 20 000 training images, on which the recipe sweep chose and measured the preset.</summary>
    public const int FashionMnistTrainImages = 20_000;

    /// <summary>Shapes: how many training images to generate.</summary>
    public const int ShapesTrainImages = 4000;
}
