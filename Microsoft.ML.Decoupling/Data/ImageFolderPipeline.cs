using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// The ML.NET estimator chain that turns image paths and class names (e.g. from <see cref="ImageFolderLoader"/>) into
/// the columns <c>DecoupleNetwork</c> reads: a key-typed label and a known-size Vector&lt;Single&gt; of C·H·W values
/// in [0, 1], channel-planar.
/// </summary>
/// <remarks>
/// The chain is made of ML.NET's own transforms (package <c>Microsoft.ML.ImageAnalytics</c>, decoding with SkiaSharp):
/// <c>MapValueToKey</c>(label) → <c>LoadImages</c> → <c>ResizeImages</c> → (<c>ConvertToGrayscale</c>) →
/// <c>ExtractPixels</c>(planar, scale 1/255). The images are loaded, resized and extracted in place under the output
/// column's name, so the intermediate image columns are hidden and only the vector is visible downstream.
/// Channel order: for colour images <c>ExtractPixels</c> is asked for <see cref="ImagePixelExtractingEstimator.ColorBits.Rgb"/>
/// in <see cref="ImagePixelExtractingEstimator.ColorsOrder.ARGB"/> order without interleaving, which writes all red values,
/// then all green, then all blue (each plane row by row): channel 0 is red, 1 green, 2 blue, the same layout as
/// torchvision's <c>ToTensor</c>. Alpha is dropped, but not before it acted: ML.NET decodes images to premultiplied
/// colours, so a semi-transparent pixel's colour comes out multiplied by its alpha (a transparent background turns
/// black), where torchvision's <c>convert("RGB")</c> keeps the colour; flatten transparent images first for parity.
/// Grey-scale images are converted by ML.NET's <c>ConvertToGrayscale</c> and their single (red) plane is extracted.
/// </remarks>
internal static class ImageFolderPipeline
{
    /// <summary>The scale <c>ExtractPixels</c> applies to 8-bit colour values: 0..255 becomes 0..1.</summary>
    public const float PixelScale = 1f / 255f;

    /// <summary>
    /// The chain for RGB (or grey-scale) images resized to <paramref name="imageWidth"/>×<paramref name="imageHeight"/>,
    /// with the default column names (<see cref="ImageFolderLoader.ImagePathColumnName"/> and
    /// <see cref="DecouplingColumnNames.Label"/> in, <see cref="DecouplingColumnNames.Image"/> and the keyed label out).
    /// </summary>
    /// <param name="mlContext">The context whose transforms catalog builds the chain.</param>
    /// <param name="imageWidth">Width W of the output images.</param>
    /// <param name="imageHeight">Height H of the output images.</param>
    /// <param name="grayscale">One grey channel instead of three colour channels.</param>
    public static EstimatorChain<ImagePixelExtractingTransformer> Create(
        MLContext mlContext, int imageWidth, int imageHeight, bool grayscale = false) =>
        Create(mlContext, new ImageFolderPipelineOptions { ImageWidth = imageWidth, ImageHeight = imageHeight, Grayscale = grayscale });

    /// <summary>The chain configured by <paramref name="options"/>.</summary>
    /// <param name="mlContext">The context whose transforms catalog builds the chain.</param>
    /// <param name="options">Sizes, colour mode and column names; invalid values are rejected here.</param>
    /// <exception cref="ArgumentException">An option is out of range, or two column names coincide.</exception>
    public static EstimatorChain<ImagePixelExtractingTransformer> Create(MLContext mlContext, ImageFolderPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        string image = options.ImageColumnName;
        IEstimator<ITransformer> images = mlContext.Transforms.Conversion
            .MapValueToKey(options.LabelColumnName, options.LabelColumnName, keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(mlContext.Transforms.LoadImages(image, options.ImageFolder, options.ImagePathColumnName))
            .Append(mlContext.Transforms.ResizeImages(image, options.ImageWidth, options.ImageHeight, image, options.Resizing));
        if (options.Grayscale)
        {
            images = images.Append(mlContext.Transforms.ConvertToGrayscale(image, image));
        }

        return images.Append(mlContext.Transforms.ExtractPixels(
            image,
            image,
            colorsToExtract: options.Grayscale ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb,
            orderOfExtraction: ImagePixelExtractingEstimator.ColorsOrder.ARGB,
            interleavePixelColors: false,
            offsetImage: 0f,
            scaleImage: PixelScale,
            outputAsFloatArray: true));
    }
}
