using Microsoft.ML.Decoupling.Transforms;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Decoupling.Data;

/// <summary>Options of <see cref="ImageFolderLoader.CreatePipeline(MLContext, ImageFolderPipelineOptions)"/>: the image folder, the column names, and the size, colour and resizing with which its images are streamed into the network's image column.</summary>
public sealed class ImageFolderPipelineOptions
{
    /// <summary>Width W the images are resized to, in pixels (default 32).</summary>
    public int ImageWidth { get; set; } = 32;

    /// <summary>Height H the images are resized to, in pixels (default 32).</summary>
    public int ImageHeight { get; set; } = 32;

    /// <summary>
    /// Whether to convert the images to grey-scale and emit one channel; false (default) emits three, red, green, blue.
    /// </summary>
    public bool Grayscale { get; set; }

    /// <summary>
    /// How images of another aspect ratio are fitted to <see cref="ImageWidth"/>×<see cref="ImageHeight"/>;
    /// default <see cref="ImageResizingEstimator.ResizingKind.IsoCrop"/> (ML.NET's default: keep the aspect ratio,
    /// crop the centre).
    /// </summary>
    public ImageResizingEstimator.ResizingKind Resizing { get; set; } = ImageResizingEstimator.ResizingKind.IsoCrop;

    /// <summary>Input text column with the image paths (default <see cref="ImageFolderLoader.ImagePathColumnName"/>).</summary>
    public string ImagePathColumnName { get; set; } = ImageFolderLoader.ImagePathColumnName;

    /// <summary>
    /// Folder that relative image paths are resolved against; null (default) takes the paths as they are
    /// (<see cref="ImageFolderLoader"/> writes full paths).
    /// </summary>
    public string? ImageFolder { get; set; }

    /// <summary>
    /// Label column: text class names on input, replaced by a key column (one key per class, in ordinal order of the
    /// names) on output. Default <see cref="DecouplingColumnNames.Label"/>.
    /// </summary>
    public string LabelColumnName { get; set; } = DecouplingColumnNames.Label;

    /// <summary>Output image column: Vector&lt;Single&gt; of C·H·W values in [0, 1]. Default <see cref="DecouplingColumnNames.Image"/>.</summary>
    public string ImageColumnName { get; set; } = DecouplingColumnNames.Image;

    /// <summary>Channels C of the output image column: 1 for grey-scale, 3 (red, green, blue planes) otherwise.</summary>
    public int Channels => Grayscale ? 1 : 3;

    /// <summary>Values per image in the output column: C·H·W.</summary>
    public int ImageSize => Channels * ImageHeight * ImageWidth;

    /// <summary>
    /// Sets the image and label column names and the image geometry (C, H, W) of <paramref name="network"/> to match
    /// this pipeline's output, so that non-square and grey-scale images need no further settings; returns it.
    /// </summary>
    /// <param name="network">Options of the network trained on this pipeline's output.</param>
    public DecoupleNetworkEstimator.Options ConfigureNetwork(DecoupleNetworkEstimator.Options network)
    {
        ArgumentNullException.ThrowIfNull(network);
        network.FeatureColumnName = ImageColumnName;
        network.LabelColumnName = LabelColumnName;
        network.ImageChannels = Channels;
        network.ImageHeight = ImageHeight;
        network.ImageWidth = ImageWidth;
        return network;
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageWidth, 1, nameof(ImageWidth));
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageHeight, 1, nameof(ImageHeight));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ImageWidth, 65536, nameof(ImageWidth));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ImageHeight, 65536, nameof(ImageHeight));
        if (!Enum.IsDefined(Resizing))
        {
            throw new ArgumentOutOfRangeException(nameof(Resizing), Resizing, "Expected IsoPad, IsoCrop or Fill.");
        }

        RequireName(ImagePathColumnName, nameof(ImagePathColumnName));
        RequireName(LabelColumnName, nameof(LabelColumnName));
        RequireName(ImageColumnName, nameof(ImageColumnName));
        if (ImageColumnName == ImagePathColumnName || ImageColumnName == LabelColumnName || LabelColumnName == ImagePathColumnName)
        {
            throw new ArgumentException(
                $"ImagePathColumnName '{ImagePathColumnName}', LabelColumnName '{LabelColumnName}' and ImageColumnName "
                + $"'{ImageColumnName}' must all differ.",
                nameof(ImageColumnName));
        }

        if ((long)ImageSize > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(ImageWidth), $"{Channels}×{ImageHeight}×{ImageWidth} values do not fit in one vector.");
        }
    }

    private static void RequireName(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{name} must name a column.", name);
        }
    }
}
