namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// Reads CIFAR-10 and CIFAR-100 (Krizhevsky, 2009: 32×32 colour images) in their binary ("for C programs") format into an
/// <see cref="ImageDataset"/> of 3×32×32 images scaled to [0, 1].
/// </summary>
/// <remarks>
/// <para>
/// A record is the label byte(s) followed by 3072 pixel bytes: the 1024 red values, then the 1024 green, then the 1024
/// blue, each plane row-major. That is the channel-planar C×H×W order of <see cref="ImageDataset"/>, so pixels are taken
/// over in file order, each byte divided by 255.
/// </para>
/// <para>
/// Every inconsistency is an error: a file whose length is not a whole number of records, a label outside the class
/// range, or a class-names file with the wrong number of names.
/// </para>
/// </remarks>
public static class CifarBinaryReader
{
    /// <summary>Channels per image (red, green, blue).</summary>
    public const int Channels = 3;

    /// <summary>Image height in pixels.</summary>
    public const int Height = 32;

    /// <summary>Image width in pixels.</summary>
    public const int Width = 32;

    /// <summary>Pixel bytes per record: <see cref="Channels"/>·<see cref="Height"/>·<see cref="Width"/> = 3072.</summary>
    public const int ImageSize = Channels * Height * Width;

    /// <summary>Bytes per CIFAR-10 record: 1 label byte + 3072 pixel bytes.</summary>
    public const int Cifar10RecordSize = 1 + ImageSize;

    /// <summary>Bytes per CIFAR-100 record: 1 coarse label byte + 1 fine label byte + 3072 pixel bytes.</summary>
    public const int Cifar100RecordSize = 2 + ImageSize;

    /// <summary>Number of CIFAR-10 classes.</summary>
    public const int Cifar10ClassCount = 10;

    /// <summary>Number of CIFAR-100 fine classes.</summary>
    public const int Cifar100FineClassCount = 100;

    /// <summary>Number of CIFAR-100 coarse classes (superclasses).</summary>
    public const int Cifar100CoarseClassCount = 20;

    /// <summary>The folder that <c>cifar-10-binary.tar.gz</c> extracts to.</summary>
    public const string Cifar10FolderName = "cifar-10-batches-bin";

    /// <summary>The folder that <c>cifar-100-binary.tar.gz</c> extracts to.</summary>
    public const string Cifar100FolderName = "cifar-100-binary";

    /// <summary>The CIFAR-10 test file.</summary>
    public const string Cifar10TestFileName = "test_batch.bin";

    /// <summary>The CIFAR-10 class names, one per line in label order; optional.</summary>
    public const string Cifar10ClassNamesFileName = "batches.meta.txt";

    /// <summary>The CIFAR-100 training file.</summary>
    public const string Cifar100TrainFileName = "train.bin";

    /// <summary>The CIFAR-100 test file.</summary>
    public const string Cifar100TestFileName = "test.bin";

    /// <summary>The CIFAR-100 fine class names, one per line in label order; optional.</summary>
    public const string Cifar100FineClassNamesFileName = "fine_label_names.txt";

    /// <summary>The CIFAR-100 coarse class names, one per line in label order; optional.</summary>
    public const string Cifar100CoarseClassNamesFileName = "coarse_label_names.txt";

    // Records read per FileStream call: about 3 MB.
    private const int RecordsPerChunk = 1024;

    private static readonly string[] _cifar10TrainFileNames =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>The five CIFAR-10 training files, in the order their images are read.</summary>
    public static IReadOnlyList<string> Cifar10TrainFileNames { get; } = Array.AsReadOnly(_cifar10TrainFileNames);

    /// <summary>The data files of one split, in the order their images are read.</summary>
    /// <param name="variant">CIFAR-10 or CIFAR-100.</param>
    /// <param name="split">Training or test images.</param>
    internal static IReadOnlyList<string> GetFileNames(CifarVariant variant, DataSplit split) => (variant, split) switch
    {
        (CifarVariant.Cifar10, DataSplit.Train) => Cifar10TrainFileNames,
        (CifarVariant.Cifar10, DataSplit.Test) => Array.AsReadOnly([Cifar10TestFileName]),
        (CifarVariant.Cifar100, DataSplit.Train) => Array.AsReadOnly([Cifar100TrainFileName]),
        (CifarVariant.Cifar100, DataSplit.Test) => Array.AsReadOnly([Cifar100TestFileName]),
        (CifarVariant.Cifar10 or CifarVariant.Cifar100, _) =>
            throw new ArgumentOutOfRangeException(nameof(split), split, "Expected Train or Test."),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "Expected Cifar10 or Cifar100."),
    };

    /// <summary>
    /// Loads one split of CIFAR-10 as 3×32×32 images in [0, 1] with labels 0 to 9: the five <c>data_batch_*.bin</c> files
    /// in order for <see cref="DataSplit.Train"/>, <c>test_batch.bin</c> for <see cref="DataSplit.Test"/>. Class names
    /// come from <c>batches.meta.txt</c> when present, otherwise they are "0" to "9".
    /// </summary>
    /// <param name="directory">
    /// The directory holding the files (the extracted <c>cifar-10-batches-bin</c>), or its parent when the files are not
    /// directly in it.
    /// </param>
    /// <param name="split">Which files to read.</param>
    /// <param name="limit">Keep only the first <paramref name="limit"/> images; null keeps all.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="directory"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException">A data file of the split is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or holds a label outside 0 to 9.</exception>
    public static ImageDataset ReadCifar10(string directory, DataSplit split, int? limit = null)
    {
        CheckLimit(limit);
        IReadOnlyList<string> fileNames = GetFileNames(CifarVariant.Cifar10, split);
        string found = ResolveDirectory(directory, Cifar10FolderName, fileNames, "CIFAR-10", split);
        IReadOnlyList<string> classNames = ReadClassNames(found, Cifar10ClassNamesFileName, Cifar10ClassCount);
        string[] paths = [.. fileNames.Select(name => Path.Combine(found, name))];
        return ReadFiles(paths, CifarVariant.Cifar10, CifarLabelKind.Fine, classNames, limit);
    }

    /// <summary>
    /// Loads one split of CIFAR-100 (<c>train.bin</c> or <c>test.bin</c>) as 3×32×32 images in [0, 1], labelled with the
    /// fine (0 to 99) or coarse (0 to 19) label. Class names come from <c>fine_label_names.txt</c> or
    /// <c>coarse_label_names.txt</c> when present, otherwise they are "0" to "K−1".
    /// </summary>
    /// <param name="directory">
    /// The directory holding the files (the extracted <c>cifar-100-binary</c>), or its parent when the files are not
    /// directly in it.
    /// </param>
    /// <param name="split">Which file to read.</param>
    /// <param name="coarseLabels">The 20 coarse superclasses become the classes instead of the 100 fine classes.</param>
    /// <param name="limit">Keep only the first <paramref name="limit"/> images; null keeps all.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="directory"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException">The data file of the split is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or holds a label out of range.</exception>
    public static ImageDataset ReadCifar100(string directory, DataSplit split, bool coarseLabels = false, int? limit = null) =>
        ReadCifar100(directory, split, coarseLabels ? CifarLabelKind.Coarse : CifarLabelKind.Fine, limit);

    /// <summary><see cref="ReadCifar100(string, DataSplit, bool, int?)"/> with the label chosen by <paramref name="labelKind"/>.</summary>
    internal static ImageDataset ReadCifar100(string directory, DataSplit split, CifarLabelKind labelKind, int? limit = null)
    {
        CheckLimit(limit);
        (string classNamesFileName, int classCount) = labelKind switch
        {
            CifarLabelKind.Fine => (Cifar100FineClassNamesFileName, Cifar100FineClassCount),
            CifarLabelKind.Coarse => (Cifar100CoarseClassNamesFileName, Cifar100CoarseClassCount),
            _ => throw new ArgumentOutOfRangeException(nameof(labelKind), labelKind, "Expected Fine or Coarse."),
        };

        IReadOnlyList<string> fileNames = GetFileNames(CifarVariant.Cifar100, split);
        string found = ResolveDirectory(directory, Cifar100FolderName, fileNames, "CIFAR-100", split);
        IReadOnlyList<string> classNames = ReadClassNames(found, classNamesFileName, classCount);
        string[] paths = [.. fileNames.Select(name => Path.Combine(found, name))];
        return ReadFiles(paths, CifarVariant.Cifar100, labelKind, classNames, limit);
    }

    /// <summary>Reads one CIFAR binary file as 3×32×32 images in [0, 1].</summary>
    /// <param name="path">The <c>.bin</c> file.</param>
    /// <param name="variant">The record layout of the file.</param>
    /// <param name="labelKind">
    /// For CIFAR-100, which label becomes the class; CIFAR-10 has only <see cref="CifarLabelKind.Fine"/>.
    /// </param>
    /// <param name="classNames">
    /// One name per class (10, 100 or 20 of them, as <paramref name="variant"/> and <paramref name="labelKind"/> give);
    /// null names the classes "0" to "K−1".
    /// </param>
    /// <param name="limit">Keep only the first <paramref name="limit"/> images; null keeps all.</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="labelKind"/> is <see cref="CifarLabelKind.Coarse"/> for CIFAR-10, or <paramref name="classNames"/> has
    /// the wrong count.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or holds a label out of range.</exception>
    internal static ImageDataset ReadFile(
        string path,
        CifarVariant variant,
        CifarLabelKind labelKind = CifarLabelKind.Fine,
        IReadOnlyList<string>? classNames = null,
        int? limit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckLimit(limit);
        int classCount = GetClassCount(variant, labelKind);
        if (classNames is null)
        {
            classNames = DefaultClassNames(classCount);
        }
        else if (classNames.Count != classCount)
        {
            throw new ArgumentException(
                $"Expected {classCount} class names for {Describe(variant, labelKind)} labels, got {classNames.Count}.",
                nameof(classNames));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"CIFAR binary file '{path}' does not exist.", path);
        }

        return ReadFiles([path], variant, labelKind, classNames, limit);
    }

    private static ImageDataset ReadFiles(
        string[] paths, CifarVariant variant, CifarLabelKind labelKind, IReadOnlyList<string> classNames, int? limit)
    {
        int recordSize = variant == CifarVariant.Cifar10 ? Cifar10RecordSize : Cifar100RecordSize;
        int labelBytes = recordSize - ImageSize;

        // Check every file's length first, so that a truncated file is reported even when the limit stops before it.
        var recordCounts = new long[paths.Length];
        long total = 0;
        for (int i = 0; i < paths.Length; i++)
        {
            long length = new FileInfo(paths[i]).Length;
            if (length % recordSize != 0)
            {
                throw new InvalidDataException(
                    $"{paths[i]}: the file is {length} bytes long, not a multiple of the {recordSize}-byte "
                    + $"{Describe(variant)} record ({labelBytes} label byte(s) + {ImageSize} pixel bytes); "
                    + $"it is truncated or not a {Describe(variant)} binary file.");
            }

            recordCounts[i] = length / recordSize;
            total += recordCounts[i];
        }

        long count = Math.Min(total, limit ?? long.MaxValue);
        if (count * ImageSize > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{string.Join(", ", paths)}: {count} images of {ImageSize} values are more than an array can hold; pass a limit.");
        }

        var pixels = new float[count * ImageSize];
        var labels = new int[count];
        var buffer = new byte[RecordsPerChunk * recordSize];
        int written = 0;
        for (int i = 0; i < paths.Length && written < count; i++)
        {
            string path = paths[i];
            int toRead = (int)Math.Min(recordCounts[i], count - written);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            for (int record = 0; record < toRead;)
            {
                int chunk = Math.Min(RecordsPerChunk, toRead - record);
                Span<byte> bytes = buffer.AsSpan(0, chunk * recordSize);
                int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
                if (read < bytes.Length)
                {
                    throw new InvalidDataException(
                        $"{path}: the file ended {((long)record * recordSize) + read} bytes in, inside record {record + (read / recordSize)}, "
                        + $"although it was {recordCounts[i] * recordSize} bytes long when the read began; was it changed meanwhile?");
                }

                for (int j = 0; j < chunk; j++)
                {
                    ReadOnlySpan<byte> source = bytes.Slice(j * recordSize, recordSize);
                    labels[written] = ReadLabel(source, path, record + j, variant, labelKind);
                    ReadOnlySpan<byte> image = source[labelBytes..];
                    Span<float> target = pixels.AsSpan(written * ImageSize, ImageSize);
                    for (int k = 0; k < ImageSize; k++)
                    {
                        target[k] = image[k] / 255f;
                    }

                    written++;
                }

                record += chunk;
            }
        }

        return new ImageDataset(pixels, labels, Channels, Height, Width, classNames);
    }

    /// <summary>The class index of a record, after checking every label byte it holds against its range.</summary>
    private static int ReadLabel(ReadOnlySpan<byte> record, string path, int index, CifarVariant variant, CifarLabelKind labelKind)
    {
        if (variant == CifarVariant.Cifar10)
        {
            CheckLabel(record[0], Cifar10ClassCount, path, index, "label");
            return record[0];
        }

        CheckLabel(record[0], Cifar100CoarseClassCount, path, index, "coarse label");
        CheckLabel(record[1], Cifar100FineClassCount, path, index, "fine label");
        return labelKind == CifarLabelKind.Coarse ? record[0] : record[1];
    }

    private static void CheckLabel(byte value, int classCount, string path, int index, string what)
    {
        if (value >= classCount)
        {
            throw new InvalidDataException(
                $"{path}: record {index} (0-based) has {what} {value}; expected a value in [0, {classCount}).");
        }
    }

    /// <summary>
    /// The directory holding the data files: <paramref name="directory"/> itself, or its subfolder
    /// <paramref name="folderName"/> when none of the files is directly in <paramref name="directory"/>.
    /// </summary>
    private static string ResolveDirectory(
        string directory, string folderName, IReadOnlyList<string> fileNames, string dataset, DataSplit split)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string expected = string.Join(", ", fileNames);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException(
                $"{dataset} directory '{directory}' does not exist; expected a directory holding {expected} "
                + $"(the extracted '{folderName}' folder) or its parent.");
        }

        string nested = Path.Combine(directory, folderName);
        string found = !fileNames.Any(name => File.Exists(Path.Combine(directory, name))) && Directory.Exists(nested)
            ? nested
            : directory;

        string[] missing = [.. fileNames.Where(name => !File.Exists(Path.Combine(found, name)))];
        if (missing.Length > 0)
        {
            throw new FileNotFoundException(
                $"{dataset} {split} split: '{found}' lacks {string.Join(", ", missing)}; expected the files {expected} "
                + $"(the extracted '{folderName}' folder).",
                Path.Combine(found, missing[0]));
        }

        return found;
    }

    /// <summary>
    /// The class names listed one per line in <paramref name="fileName"/> (trailing blank lines ignored), or "0" to "K−1"
    /// when the file is absent.
    /// </summary>
    private static IReadOnlyList<string> ReadClassNames(string directory, string fileName, int classCount)
    {
        string path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
        {
            return DefaultClassNames(classCount);
        }

        List<string> names = [.. File.ReadAllLines(path).Select(line => line.Trim())];
        while (names.Count > 0 && names[^1].Length == 0)
        {
            names.RemoveAt(names.Count - 1);
        }

        if (names.Count != classCount)
        {
            throw new InvalidDataException(
                $"{path}: found {names.Count} class names (one per line); expected {classCount}.");
        }

        int blank = names.IndexOf("");
        if (blank >= 0)
        {
            throw new InvalidDataException($"{path}: line {blank + 1} is blank; expected one class name per line.");
        }

        return names;
    }

    private static string[] DefaultClassNames(int classCount) =>
        [.. Enumerable.Range(0, classCount).Select(label => label.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static int GetClassCount(CifarVariant variant, CifarLabelKind labelKind) => (variant, labelKind) switch
    {
        (CifarVariant.Cifar10, CifarLabelKind.Fine) => Cifar10ClassCount,
        (CifarVariant.Cifar10, CifarLabelKind.Coarse) => throw new ArgumentException(
            "CIFAR-10 has a single label; coarse labels exist only in CIFAR-100.", nameof(labelKind)),
        (CifarVariant.Cifar100, CifarLabelKind.Fine) => Cifar100FineClassCount,
        (CifarVariant.Cifar100, CifarLabelKind.Coarse) => Cifar100CoarseClassCount,
        (CifarVariant.Cifar10 or CifarVariant.Cifar100, _) =>
            throw new ArgumentOutOfRangeException(nameof(labelKind), labelKind, "Expected Fine or Coarse."),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "Expected Cifar10 or Cifar100."),
    };

    private static void CheckLimit(int? limit)
    {
        if (limit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "Expected a non-negative number of images, or null for all.");
        }
    }

    private static string Describe(CifarVariant variant) => variant == CifarVariant.Cifar10 ? "CIFAR-10" : "CIFAR-100";

    private static string Describe(CifarVariant variant, CifarLabelKind labelKind) =>
        variant == CifarVariant.Cifar10 ? "CIFAR-10" : $"CIFAR-100 {(labelKind == CifarLabelKind.Coarse ? "coarse" : "fine")}";
}
