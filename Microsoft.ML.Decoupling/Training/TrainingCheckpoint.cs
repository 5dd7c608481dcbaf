using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// A training checkpoint: what a run needs to continue exactly where it stopped (the network's parameters and buffers,
/// the SGD momentum buffers, the number of finished epochs, the settings and seed that define the schedule and the random
/// streams, a hash of the training data, the input normalisation, and the epoch history). One file: a magic number, a JSON header, TorchSharp's module format, TorchSharp's
/// optimizer format, and the SHA-256 of those two formats' bytes. Written to a temporary file in the same folder and
/// renamed, so a crash never leaves a partial file. The checksum is checked before any tensor is read: TorchSharp reads
/// a tensor's type and shape from the file unchecked, and a corrupt optimizer section could otherwise crash the process
/// or load momentum buffers of another type.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string Magic = "MLDECKPT";

    // Version 2 added the data hash, the normalisation and gradient clipping to the header; version 3 the checksum after
    // the tensors. Version 1 files still load as weights, but cannot be resumed: they cannot show that the data is the
    // same. Versions 1 and 2 load without a checksum, as before.
    private const int FormatVersion = 3;
    private const int OldestReadableVersion = 1;
    private const int FirstVersionWithChecksum = 3;
    private const int ChecksumLength = 32;

    // A diverged epoch's averages are NaN or infinite; the header must still be written and read back.
    private static readonly JsonSerializerOptions _headerJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private TrainingCheckpoint(CheckpointHeader header) => Header = header;

    /// <summary>What the file says about the run.</summary>
    public CheckpointHeader Header { get; }

    /// <summary>Reads only the header of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this package.</exception>
    public static TrainingCheckpoint ReadHeader(string path)
    {
        using var reader = Open(path, out var header);
        return new TrainingCheckpoint(header);
    }

    /// <summary>Loads the checkpoint's parameters and buffers into <paramref name="network"/> (which must have its architecture).</summary>
    public static CheckpointHeader LoadNetwork(string path, DecoupledNetwork network)
    {
        using var reader = Open(path, out var header);
        RequireSameNetwork(path, header, network);
        RequireIntact(path, reader);
        ReadTensors(path, () => network.load(reader, strict: true));
        return header;
    }

    internal static CheckpointHeader Load(string path, DecoupledNetwork network, TorchSharp.Modules.SGD optimizer)
    {
        using var reader = Open(path, out var header);
        RequireSameNetwork(path, header, network);
        RequireIntact(path, reader);
        ReadTensors(path, () =>
        {
            network.load(reader, strict: true);
            optimizer.load_state_dict(reader);
        });
        return header;
    }

    /// <summary>
    /// Checks, before any training, that a checkpoint can be written at <paramref name="path"/>: its folder exists or can
    /// be created, and a file can be created in it (a probe file, deleted at once).
    /// </summary>
    /// <exception cref="IOException">The path cannot be written; the message names <paramref name="optionName"/> and the path.</exception>
    internal static void RequireWritable(string path, string optionName)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)!;
        string probe = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.probe");
        try
        {
            Directory.CreateDirectory(folder);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new IOException($"{optionName} '{path}' cannot be written (folder '{folder}'): {ex.Message}", ex);
        }
    }

    internal static void Save(string path, DecoupledNetwork network, TorchSharp.Modules.SGD optimizer, CheckpointHeader header)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);
        IO.AtomicFile.Write(fullPath, stream =>
        {
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Encoding.ASCII.GetBytes(Magic));
                writer.Write(FormatVersion);
                writer.Write(JsonSerializer.Serialize(header, _headerJson));
            }

            // The tensors pass through a hashing stream on their way to the file; their checksum follows them.
            using var sha256 = SHA256.Create();
            using (var hashing = new CryptoStream(stream, sha256, CryptoStreamMode.Write, leaveOpen: true))
            using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
            {
                network.save(writer);
                optimizer.save_state_dict(writer);
                writer.Flush();
                hashing.FlushFinalBlock();
            }

            stream.Write(sha256.Hash!);
        });
    }

    /// <summary>
    /// The fingerprint of a training set recorded in <see cref="CheckpointHeader.DataHash"/>: SHA-256 over the pixel values
    /// and then the labels, as stored in memory (little-endian on every platform .NET and libtorch share).
    /// </summary>
    internal static string HashData(ReadOnlySpan<float> pixels, ReadOnlySpan<int> labels)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(pixels));
        hash.AppendData(MemoryMarshal.AsBytes(labels));
        return FinishDataHash(hash);
    }

    /// <summary>
    /// The <see cref="HashData"/> fingerprint of what <paramref name="hash"/> (SHA-256) was fed: the same value when the
    /// pixels were fed image by image while they were written elsewhere (see <see cref="DiskCachedTrainingImages"/>).
    /// </summary>
    internal static string FinishDataHash(IncrementalHash hash) => "sha256:" + Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();

    /// <summary>
    /// Throws unless the checkpoint was written by a run with these settings on this data (<paramref name="dataHash"/> of
    /// <see cref="HashData"/>) and with this input normalisation.
    /// </summary>
    internal static void RequireSameRun(string path, CheckpointHeader header, TrainingSettings settings, int sampleCount, string dataHash, InputNormalization? normalization)
    {
        var differences = new List<string>();
        void Compare<T>(string name, T saved, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(saved, now))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: checkpoint {saved}, now {now}"));
            }
        }

        Compare("epochs", header.Epochs, settings.Epochs);
        Compare("batch size", header.BatchSize, settings.BatchSize);
        Compare("learning rate", header.LearningRate, settings.LearningRate);
        Compare("momentum", header.Momentum, settings.Momentum);
        Compare("weight decay", header.WeightDecay, settings.WeightDecay);
        Compare("loss weights", header.Weights, settings.Weights);
        Compare("seed", header.Seed, settings.Seed);
        Compare("augmentation", header.Augmentation, settings.Augmentation);
        Compare("gradient clip norm", Describe(header.GradientClipNorm), Describe(settings.GradientClipNorm));
        Compare("training images", header.SampleCount, sampleCount);
        if (header.SampleCount == sampleCount)
        {
            // Another count already says the data differs; the same count with other pixels or labels needs the hash.
            Compare("training data", header.DataHash ?? "not recorded (format version 1)", dataHash);
        }

        Compare("input normalisation", Describe(header.Normalization), Describe(normalization));
        if (header.Start is not null)
        {
            // Not recorded before format version 3: such a checkpoint resumes as it did.
            Compare("start", header.Start, settings.Start);
        }

        if (differences.Count > 0)
        {
            throw new InvalidDataException($"Checkpoint '{path}' belongs to another run and cannot be resumed: {string.Join("; ", differences)}. Delete it or use another checkpoint path.");
        }
    }

    private static string Describe(double? clipNorm) => clipNorm?.ToString("R", CultureInfo.InvariantCulture) ?? "none";

    /// <summary>Every value exactly (round-trip format): two normalisations differ when any bit does.</summary>
    private static string Describe(InputNormalization? normalization) => normalization is null
        ? "none"
        : $"mean [{string.Join(", ", normalization.Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture)))}], "
            + $"std [{string.Join(", ", normalization.StandardDeviation.Select(d => d.ToString("R", CultureInfo.InvariantCulture)))}]";

    private static void RequireSameNetwork(string path, CheckpointHeader header, DecoupledNetwork network)
    {
        // γ and conv biases are recorded since format version 3; older files are read as before.
        bool sameGates = header.GateReduction is not { } reduction || !network.IsGated || reduction == network.GateReduction;
        bool sameBiases = header.ConvolutionBias is not { } bias || bias == network.ConvolutionBias;
        if (header.Architecture != network.Architecture || header.Input != network.Input || header.Classes != network.Classes || header.Gated != network.IsGated
            || !sameGates || !sameBiases)
        {
            throw new InvalidDataException(
                $"Checkpoint '{path}' holds a {Describe(header.Gated, header.Architecture, header.GateReduction, header.ConvolutionBias)} for {header.Input} images and {header.Classes} classes; "
                + $"the network is a {Describe(network.IsGated, network.Architecture, network.GateReduction, network.ConvolutionBias)} for {network.Input} images and {network.Classes} classes.");
        }
    }

    private static string Describe(bool gated, string architecture, int? gateReduction, bool? convolutionBias) =>
        (gated ? "gated" : "dense") + $" {architecture}"
        + (gated && gateReduction is { } γ ? $" (gate reduction {γ})" : string.Empty)
        + (convolutionBias == true ? " with conv biases" : string.Empty);

    /// <summary>
    /// Runs TorchSharp's readers of the tensors after the header. They report a truncated file as an
    /// <see cref="EndOfStreamException"/> and entries that do not fit the network or optimizer (corrupt bytes, or another
    /// network under the same architecture name, e.g. a VGG with conv biases) as an <see cref="ArgumentException"/>.
    /// </summary>
    private static void ReadTensors(string path, Action read)
    {
        try
        {
            read();
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated or corrupt, or holds other tensors than the network: {e.Message}", e);
        }
    }

    /// <summary>
    /// For a file of format version 3 or later (the reader just past the header): throws unless the SHA-256 of the bytes
    /// between the header and the last 32 equals those 32 bytes; the reader is left where it was.
    /// </summary>
    private static void RequireIntact(string path, BinaryReader reader)
    {
        var stream = reader.BaseStream;
        long payloadStart = stream.Position;
        if (Version(reader) < FirstVersionWithChecksum)
        {
            return;
        }

        long payloadEnd = stream.Length - ChecksumLength;
        if (payloadEnd < payloadStart)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is truncated: it ends before its checksum.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 20];
        for (long left = payloadEnd - payloadStart; left > 0;)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                throw new InvalidDataException($"Checkpoint '{path}' is truncated.");
            }

            hash.AppendData(buffer, 0, read);
            left -= read;
        }

        byte[] stored = reader.ReadBytes(ChecksumLength);
        stream.Position = payloadStart;
        if (!hash.GetHashAndReset().AsSpan().SequenceEqual(stored))
        {
            throw new InvalidDataException($"Checkpoint '{path}' is corrupt: the checksum of its tensors does not match (nothing was loaded from it).");
        }
    }

    /// <summary>The format version of the checkpoint open in <paramref name="reader"/> (read again from the file's start; the position is kept).</summary>
    private static int Version(BinaryReader reader)
    {
        long position = reader.BaseStream.Position;
        reader.BaseStream.Position = Magic.Length;
        int version = reader.ReadInt32();
        reader.BaseStream.Position = position;
        return version;
    }

    private static BinaryReader Open(string path, out CheckpointHeader header)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        }

        var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        try
        {
            byte[] magic = reader.ReadBytes(Magic.Length);
            if (Encoding.ASCII.GetString(magic) != Magic)
            {
                throw new InvalidDataException($"'{path}' is not a Microsoft.ML.Decoupling checkpoint (no '{Magic}' header).");
            }

            int version = reader.ReadInt32();
            if (version < OldestReadableVersion || version > FormatVersion)
            {
                throw new InvalidDataException($"Checkpoint '{path}' has format version {version}; this version of the package reads versions {OldestReadableVersion} to {FormatVersion}.");
            }

            header = JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadString(), _headerJson)
                ?? throw new InvalidDataException($"Checkpoint '{path}' has an empty header.");
            if (header.Architecture is null || header.Input is null || header.Weights is null || header.History is null)
            {
                throw new InvalidDataException($"Checkpoint '{path}' is corrupt: its header lacks the architecture, input shape, loss weights or history.");
            }

            return reader;
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or ArgumentException or FormatException)
        {
            // ArgumentException: a header value that its type's constructor refuses (e.g. a normalisation deviation of 0).
            // FormatException: a corrupt length before the header's text.
            reader.Dispose();
            throw new InvalidDataException($"Checkpoint '{path}' is truncated or corrupt: {e.Message}", e);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }
}
