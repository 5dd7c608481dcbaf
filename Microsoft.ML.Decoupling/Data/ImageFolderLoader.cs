using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// Reads a labelled image folder laid out as <c>root/&lt;class name&gt;/&lt;image files&gt;</c> (the layout of
/// torchvision's <c>ImageFolder</c>) into an <see cref="IDataView"/> of image paths and class names, and builds the ML.NET
/// chain (<see cref="CreatePipeline(MLContext, int, int, bool)"/>) that turns them into the network's Image and key Label columns.
/// </summary>
/// <remarks>
/// Every sub-folder of the root is a class, named after the folder. Only the files directly inside a class folder are
/// read, and only those ending in <c>.png</c>, <c>.jpg</c>, <c>.jpeg</c> or <c>.bmp</c> (any letter case); other
/// files and nested folders are ignored. Classes and files are sorted by ordinal (culture-independent) name, so the
/// rows come out in the same order on every machine. <see cref="Load"/> reads the header of every image (SkiaSharp's
/// codec, a few bytes per file, not the pixels), so that a file that is not an image, or whose header is corrupt, is
/// reported by name before any training; corruption past the header (e.g. a truncated pixel stream) is decoded by
/// ML.NET's <c>LoadImages</c> as far as it goes.
/// </remarks>
public static class ImageFolderLoader
{
    /// <summary>The scale <c>ExtractPixels</c> applies to 8-bit colour values in the pipeline: 0..255 becomes 0..1.</summary>
    public const float PixelScale = ImageFolderPipeline.PixelScale;

    /// <summary>
    /// The chain <c>MapValueToKey(Label) → LoadImages → ResizeImages → ExtractPixels</c> (planes R, G, B) for RGB (or
    /// grey-scale) images resized to <paramref name="imageWidth"/>×<paramref name="imageHeight"/>, with the default column
    /// names (<see cref="ImagePathColumnName"/> and <see cref="DecouplingColumnNames.Label"/> in,
    /// <see cref="DecouplingColumnNames.Image"/> and the keyed label out).
    /// </summary>
    /// <param name="mlContext">The context whose transforms catalog builds the chain.</param>
    /// <param name="imageWidth">Width W of the output images.</param>
    /// <param name="imageHeight">Height H of the output images.</param>
    /// <param name="grayscale">One grey channel instead of three colour channels.</param>
    public static EstimatorChain<Microsoft.ML.Transforms.Image.ImagePixelExtractingTransformer> CreatePipeline(
        MLContext mlContext, int imageWidth, int imageHeight, bool grayscale = false) =>
        ImageFolderPipeline.Create(mlContext, imageWidth, imageHeight, grayscale);

    /// <summary>The chain of <see cref="CreatePipeline(MLContext, int, int, bool)"/> configured by <paramref name="options"/>.</summary>
    /// <param name="mlContext">The context whose transforms catalog builds the chain.</param>
    /// <param name="options">Sizes, colour mode and column names; invalid values are rejected here.</param>
    /// <exception cref="ArgumentException">An option is out of range, or two column names coincide.</exception>
    public static EstimatorChain<Microsoft.ML.Transforms.Image.ImagePixelExtractingTransformer> CreatePipeline(MLContext mlContext, ImageFolderPipelineOptions options) =>
        ImageFolderPipeline.Create(mlContext, options);

    /// <summary>Default name of the text column holding each image's full path.</summary>
    public const string ImagePathColumnName = "ImagePath";

    /// <summary>The file extensions read as images (compared without regard to letter case).</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = Array.AsReadOnly([".png", ".jpg", ".jpeg", ".bmp"]);

    /// <summary>
    /// Scans <paramref name="folder"/> and returns a view with a text column <paramref name="imagePathColumnName"/>
    /// (full path of each image) and a text column <paramref name="labelColumnName"/> (its class folder's name), one
    /// row per image, sorted by class, then by file name.
    /// </summary>
    /// <param name="mlContext">The context whose data catalog builds the view.</param>
    /// <param name="folder">The root folder; each sub-folder is one class.</param>
    /// <param name="imagePathColumnName">Name of the image path column.</param>
    /// <param name="labelColumnName">Name of the class name column.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="folder"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The folder has no class sub-folders, a class folder holds no image, or an image's header cannot be decoded (the
    /// message names the file).
    /// </exception>
    public static IDataView Load(
        MLContext mlContext,
        string folder,
        string imagePathColumnName = ImagePathColumnName,
        string labelColumnName = DecouplingColumnNames.Label)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(imagePathColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        if (imagePathColumnName == labelColumnName)
        {
            throw new ArgumentException(
                $"The image path and label columns must differ (both are '{labelColumnName}').", nameof(labelColumnName));
        }

        ImageFolderRow[] rows = Scan(folder);
        foreach (var row in rows)
        {
            RequireImageHeader(row.ImagePath);
        }

        SchemaDefinition definition = SchemaDefinition.Create(typeof(ImageFolderRow), SchemaDefinition.Direction.Read);
        definition[nameof(ImageFolderRow.ImagePath)].ColumnName = imagePathColumnName;
        definition[nameof(ImageFolderRow.Label)].ColumnName = labelColumnName;
        return mlContext.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>
    /// The class names of <paramref name="folder"/> in the loader's order: the names of its sub-folders that hold at
    /// least one image, sorted by ordinal name.
    /// </summary>
    /// <param name="folder">The root folder; each sub-folder is one class.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="folder"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder has no class sub-folders, or a class folder holds no image.</exception>
    public static IReadOnlyList<string> GetClassNames(string folder) =>
        Array.AsReadOnly(Scan(folder).Select(row => row.Label).Distinct().ToArray());

    private static ImageFolderRow[] Scan(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Image folder '{folder}' does not exist.");
        }

        string[] classFolders = Directory.GetDirectories(folder);
        if (classFolders.Length == 0)
        {
            throw new InvalidDataException(
                $"Image folder '{folder}' has no class folders; expected the layout {folder}/<class name>/<image files>.");
        }

        Array.Sort(classFolders, StringComparer.Ordinal);
        var rows = new List<ImageFolderRow>();
        foreach (string classFolder in classFolders)
        {
            string className = Path.GetFileName(classFolder);
            string[] images = [.. Directory.GetFiles(classFolder).Where(IsImageFile)];
            if (images.Length == 0)
            {
                throw new InvalidDataException(
                    $"Class folder '{classFolder}' holds no image; expected files ending in {string.Join(", ", ImageExtensions)} "
                    + "(any letter case). Remove the folder or add images.");
            }

            Array.Sort(images, StringComparer.Ordinal);
            foreach (string image in images)
            {
                rows.Add(new ImageFolderRow { ImagePath = Path.GetFullPath(image), Label = className });
            }
        }

        return [.. rows];
    }

    private static void RequireImageHeader(string path)
    {
        using var codec = SKCodec.Create(path, out SKCodecResult result);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            throw new InvalidDataException(
                $"Image '{path}' cannot be decoded ({(codec is null ? result.ToString() : "empty image")}); "
                + $"expected a PNG, JPEG or BMP file. Remove or replace it.");
        }
    }

    private static bool IsImageFile(string path)
    {
        string extension = Path.GetExtension(path);
        foreach (string imageExtension in ImageExtensions)
        {
            if (string.Equals(extension, imageExtension, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
