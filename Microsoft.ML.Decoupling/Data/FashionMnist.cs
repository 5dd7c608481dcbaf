namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// Loads Fashion-MNIST (Xiao et al., 2017: 28×28 grey-scale images of 10 clothing classes) from its four IDX files,
/// raw or gzipped, into an <see cref="ImageDataset"/> of 1×28×28 images scaled to [0, 1].
/// </summary>
/// <remarks>
/// MNIST uses the same file names and format, so a directory holding MNIST loads too (pass digit class names to
/// <see cref="Load(string, string, IReadOnlyList{string}, int?)"/> to have them named "0" to "9").
/// </remarks>
public static class FashionMnist
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Environment variable naming a directory with the four files; consulted when no directory is passed.</summary>
    public const string DirectoryEnvironmentVariable = "FASHION_MNIST_DIR";

    /// <summary>Base name of the training images file (a <c>.gz</c> suffix is also accepted).</summary>
    public const string TrainImagesFileName = "train-images-idx3-ubyte";

    /// <summary>Base name of the training labels file (a <c>.gz</c> suffix is also accepted).</summary>
    public const string TrainLabelsFileName = "train-labels-idx1-ubyte";

    /// <summary>Base name of the test images file (a <c>.gz</c> suffix is also accepted).</summary>
    public const string TestImagesFileName = "t10k-images-idx3-ubyte";

    /// <summary>Base name of the test labels file (a <c>.gz</c> suffix is also accepted).</summary>
    public const string TestLabelsFileName = "t10k-labels-idx1-ubyte";

    private const string InstallHint = "install it with `apt-get install dataset-fashion-mnist` or pass a directory";

    private static readonly string[] _fileNames = [TrainImagesFileName, TrainLabelsFileName, TestImagesFileName, TestLabelsFileName];

    /// <summary>The 10 class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]);

    /// <summary>
    /// The directory holding the four Fashion-MNIST files: <paramref name="directory"/> when given, otherwise
    /// <c>$FASHION_MNIST_DIR</c> when set, otherwise <see cref="DefaultDirectory"/>; null when it does not hold them.
    /// </summary>
    /// <param name="directory">A directory to use instead of the environment variable and the default.</param>
    /// <exception cref="DirectoryNotFoundException">
    /// <c>$FASHION_MNIST_DIR</c> is set (and no directory is passed) but names a folder that is missing or lacks the files:
    /// a setting the user made is never passed over silently for the default folder.
    /// </exception>
    public static string? FindDirectory(string? directory = null)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(DirectoryEnvironmentVariable);
        if (directory is null && !string.IsNullOrEmpty(fromEnvironment) && !HasAllFiles(fromEnvironment))
        {
            throw new DirectoryNotFoundException(
                $"${DirectoryEnvironmentVariable} is '{fromEnvironment}', which "
                + (Directory.Exists(fromEnvironment) ? $"lacks some of the files {string.Join(", ", _fileNames)} (each optionally .gz)" : "does not exist")
                + $"; fix or unset it (unset, '{DefaultDirectory}' is used).");
        }

        foreach (string candidate in GetCandidateDirectories(directory))
        {
            if (HasAllFiles(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Loads one split of Fashion-MNIST (or MNIST) as 1×28×28 images in [0, 1].</summary>
    /// <param name="split">Which files to read: <c>train-*</c> or <c>t10k-*</c>.</param>
    /// <param name="directory">Directory with the four files; null to use <c>$FASHION_MNIST_DIR</c> when set, else <see cref="DefaultDirectory"/>.</param>
    /// <param name="limit">Keep only the first <paramref name="limit"/> images; null keeps all.</param>
    /// <exception cref="DirectoryNotFoundException">No directory with the four files was found, or <c>$FASHION_MNIST_DIR</c> names a bad folder.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or the image and label files disagree.</exception>
    public static ImageDataset Load(DataSplit split, string? directory = null, int? limit = null)
    {
        string found = FindDirectory(directory) ?? throw new DirectoryNotFoundException(
            $"Fashion-MNIST was not found: looked for the files {string.Join(", ", _fileNames)} (each optionally .gz) in "
            + $"{DescribeCandidates(directory)}; {InstallHint}.");

        (string images, string labels) = split switch
        {
            DataSplit.Train => (TrainImagesFileName, TrainLabelsFileName),
            DataSplit.Test => (TestImagesFileName, TestLabelsFileName),
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Expected Train or Test."),
        };

        return Load(ResolveFile(found, images)!, ResolveFile(found, labels)!, ClassNames, limit);
    }

    /// <summary>
    /// Loads an IDX image file and its IDX label file (Fashion-MNIST, MNIST, or any unsigned-byte IDX pair) as
    /// 1×rows×columns images in [0, 1].
    /// </summary>
    /// <param name="imagesPath">The <c>*-images-idx3-ubyte[.gz]</c> file.</param>
    /// <param name="labelsPath">The <c>*-labels-idx1-ubyte[.gz]</c> file.</param>
    /// <param name="classNames">One name per label value; every label must be below its count.</param>
    /// <param name="limit">Keep only the first <paramref name="limit"/> images; null keeps all.</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, the counts differ, or a label has no class name.</exception>
    public static ImageDataset Load(string imagesPath, string labelsPath, IReadOnlyList<string> classNames, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (limit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "Expected a non-negative number of images, or null for all.");
        }

        IdxImages images = IdxReader.ReadImages(imagesPath);
        byte[] rawLabels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != rawLabels.Length)
        {
            throw new InvalidDataException(
                $"{imagesPath} holds {images.Count} images but {labelsPath} holds {rawLabels.Length} labels; expected the same count.");
        }

        int count = Math.Min(images.Count, limit ?? int.MaxValue);
        int imageSize = images.Rows * images.Columns;
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            if (rawLabels[i] >= classNames.Count)
            {
                throw new InvalidDataException(
                    $"{labelsPath}: label {rawLabels[i]} of item {i} has no class name; expected labels below {classNames.Count}.");
            }

            labels[i] = rawLabels[i];
        }

        var pixels = new float[(long)count * imageSize];
        ReadOnlySpan<byte> source = images.Pixels.AsSpan(0, pixels.Length);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = source[i] / 255f;
        }

        return new ImageDataset(pixels, labels, channels: 1, images.Rows, images.Columns, classNames);
    }

    private static IEnumerable<string> GetCandidateDirectories(string? directory)
    {
        if (directory is not null)
        {
            yield return directory;
            yield break;
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(DirectoryEnvironmentVariable);
        yield return string.IsNullOrEmpty(fromEnvironment) ? DefaultDirectory : fromEnvironment;
    }

    private static string DescribeCandidates(string? directory)
    {
        if (directory is not null)
        {
            return $"the given directory '{directory}'";
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(DirectoryEnvironmentVariable);
        return string.IsNullOrEmpty(fromEnvironment)
            ? $"'{DefaultDirectory}' (${DirectoryEnvironmentVariable} is not set)"
            : $"'{fromEnvironment}' (from ${DirectoryEnvironmentVariable})";
    }

    private static bool HasAllFiles(string directory) =>
        Directory.Exists(directory) && _fileNames.All(name => ResolveFile(directory, name) is not null);

    /// <summary>The raw file when present (faster to read), else the gzipped one, else null.</summary>
    private static string? ResolveFile(string directory, string baseName)
    {
        string raw = Path.Combine(directory, baseName);
        if (File.Exists(raw))
        {
            return raw;
        }

        string gzipped = raw + ".gz";
        return File.Exists(gzipped) ? gzipped : null;
    }
}
