using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>
/// Reads the state dictionary of a <c>torch.save</c> file in either of PyTorch's two containers: the zip archive of
/// PyTorch ≥ 1.6 (<c>{name}/data.pkl</c> plus one entry per storage under <c>{name}/data/</c>) and the legacy stream of
/// earlier versions (or <c>_use_new_zipfile_serialization=False</c>): five consecutive pickles — magic number, protocol
/// version 1001, system info, the object, the sorted storage keys — followed by each storage as a little-endian int64
/// element count and its raw little-endian bytes.
/// </summary>
/// <remarks>
/// Only the storages the state dictionary uses are read (a checkpoint's optimizer state is skipped); declared counts are
/// checked against the file's length before anything is allocated. Tensors are returned as contiguous copies owned by
/// the caller's dispose scope.
/// </remarks>
internal static class TorchPickleFile
{
    private const long LegacyProtocolVersion = 1001;
    private static readonly BigInteger LegacyMagicNumber = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture); // 0x1950a86a20f9469cfc6c

    /// <summary>Reads the state dictionary from a seekable stream positioned at the file's start.</summary>
    /// <exception cref="InvalidDataException">Not a <c>torch.save</c> file, or no state dictionary in it.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(Stream stream)
    {
        Span<byte> signature = stackalloc byte[4];
        int read = stream.ReadAtLeast(signature, 4, throwOnEndOfStream: false);
        stream.Seek(0, SeekOrigin.Begin);
        bool zip = read == 4 && signature.SequenceEqual("PK\u0003\u0004"u8);
        return zip ? ReadZip(stream) : ReadLegacy(stream);
    }

    private static Dictionary<string, Tensor> ReadZip(Stream stream)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        var pickles = archive.Entries.Where(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (pickles.Count != 1)
        {
            throw new InvalidDataException($"a zip archive with {pickles.Count} '<name>/data.pkl' entries, not a torch.save file");
        }

        string folder = pickles[0].FullName[..^"data.pkl".Length];
        var storages = new Dictionary<string, TorchStorageReference>(StringComparer.Ordinal);
        object? root;
        using (var pickle = pickles[0].Open())
        {
            root = PickleMachine.Load(pickle, id => ZipStorage(id, storages));
        }

        var references = StateDictLocator.Locate(root);
        return Materialize(references, storage =>
        {
            var entry = archive.GetEntry($"{folder}data/{storage.Key}")
                ?? throw new InvalidDataException($"storage '{storage.Key}' is missing from the archive");
            long bytes = storage.ElementCount * TorchStorageTypes.SizeOf(storage.ElementType);
            if (entry.Length != bytes)
            {
                throw new InvalidDataException($"storage '{storage.Key}' holds {entry.Length} bytes, {bytes} expected");
            }

            using var data = entry.Open();
            return ReadStorage(data, storage, bytes, entry.Crc32);
        });
    }

    private static Dictionary<string, Tensor> ReadLegacy(Stream stream)
    {
        object? magic;
        try
        {
            magic = PickleMachine.Load(stream);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidDataException("neither a zip archive nor a legacy torch.save stream (it does not start with a pickle)", ex);
        }

        if (magic is not BigInteger number || number != LegacyMagicNumber)
        {
            throw new InvalidDataException("neither a zip archive nor a legacy torch.save stream (wrong magic number)");
        }

        if (PickleMachine.Load(stream) is not long protocol || protocol != LegacyProtocolVersion)
        {
            throw new InvalidDataException($"unsupported legacy torch.save protocol version (expected {LegacyProtocolVersion})");
        }

        if (PickleMachine.Load(stream) is Dictionary<object, object?> systemInfo
            && systemInfo.TryGetValue("little_endian", out var littleEndian) && littleEndian is false)
        {
            throw new InvalidDataException("the file was written on a big-endian machine");
        }

        var storages = new Dictionary<string, TorchStorageReference>(StringComparer.Ordinal);
        var root = PickleMachine.Load(stream, id => LegacyStorage(id, storages));
        if (PickleMachine.Load(stream) is not List<object?> keys)
        {
            throw new InvalidDataException("the storage key list is missing after the legacy pickle");
        }

        var references = StateDictLocator.Locate(root);
        var needed = references.Values.Select(r => r.Storage.Key).ToHashSet(StringComparer.Ordinal);
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Span<byte> countBytes = stackalloc byte[8];
        foreach (var keyObject in keys)
        {
            string key = keyObject as string ?? throw new InvalidDataException("a storage key is not a string");
            if (!storages.TryGetValue(key, out var storage))
            {
                throw new InvalidDataException($"storage '{key}' is listed but never used");
            }

            stream.ReadExactly(countBytes);
            long count = BinaryPrimitives.ReadInt64LittleEndian(countBytes);
            if (count != storage.ElementCount)
            {
                throw new InvalidDataException($"storage '{key}' declares {count} elements, {storage.ElementCount} expected");
            }

            long bytes = CheckedBytes(storage, stream.Length - stream.Position);
            if (needed.Contains(key))
            {
                loaded[key] = ReadStorage(stream, storage, bytes);
            }
            else
            {
                stream.Seek(bytes, SeekOrigin.Current);
            }
        }

        return Materialize(references, storage => loaded.TryGetValue(storage.Key, out var tensor)
            ? tensor
            : throw new InvalidDataException($"storage '{storage.Key}' is not in the file's storage list"));
    }

    // ('storage', storage_type, key, location, numel)
    private static TorchStorageReference ZipStorage(object? id, Dictionary<string, TorchStorageReference> storages)
    {
        var fields = StorageId(id, 5);
        string key = fields[2] as string ?? throw new InvalidDataException("a storage key is not a string");
        return Remember(storages, new TorchStorageReference(key, TorchStorageTypes.ElementTypeOf(fields[1]), Count(fields[4]), 0, Count(fields[4])));
    }

    // ('storage', storage_type, root_key, location, numel, view_metadata) with view_metadata (view_key, offset, size) or None
    private static TorchStorageReference LegacyStorage(object? id, Dictionary<string, TorchStorageReference> storages)
    {
        var fields = StorageId(id, 6);
        string key = fields[2] as string ?? throw new InvalidDataException("a storage key is not a string");
        long count = Count(fields[4]);
        var root = Remember(storages, new TorchStorageReference(key, TorchStorageTypes.ElementTypeOf(fields[1]), count, 0, count));
        if (fields[5] is not object?[] view)
        {
            return root;
        }

        long offset = view.Length == 3 ? Count(view[1]) : -1;
        long length = view.Length == 3 ? Count(view[2]) : -1;
        if (offset < 0 || length < 0 || offset + length > count)
        {
            throw new InvalidDataException($"a view outside storage '{key}'");
        }

        return root with { ViewOffset = offset, ViewLength = length };
    }

    private static object?[] StorageId(object? id, int fields) =>
        id is object?[] tuple && tuple.Length == fields && tuple[0] is "storage"
            ? tuple
            : throw new InvalidDataException($"unsupported persistent id ({PickleMachine.Describe(id)}); only tensor storages are supported, not pickled modules");

    private static long Count(object? value) =>
        value is long count && count >= 0 ? count : throw new InvalidDataException($"a storage size is {PickleMachine.Describe(value)}");

    private static TorchStorageReference Remember(Dictionary<string, TorchStorageReference> storages, TorchStorageReference storage)
    {
        if (storages.TryGetValue(storage.Key, out var known))
        {
            return known.ElementType == storage.ElementType && known.ElementCount == storage.ElementCount
                ? known
                : throw new InvalidDataException($"storage '{storage.Key}' is declared twice with different types or sizes");
        }

        storages.Add(storage.Key, storage);
        return storage;
    }

    private static long CheckedBytes(TorchStorageReference storage, long remaining)
    {
        long size = TorchStorageTypes.SizeOf(storage.ElementType);
        if (storage.ElementCount > remaining / size)
        {
            throw new InvalidDataException($"storage '{storage.Key}' declares {storage.ElementCount} elements of {size} bytes but only {remaining} bytes remain");
        }

        return storage.ElementCount * size;
    }

    // One storage as a flat tensor of its element type, read without allocating more than the bytes it holds.
    /// <summary>
    /// Reads <paramref name="bytes"/> bytes of <paramref name="storage"/> from <paramref name="source"/>; <paramref name="crc"/>
    /// is the CRC-32 the zip archive records for it, checked (.NET's ZipArchive does not check it for the stored entries
    /// torch.save writes); null in the legacy container, which has none.
    /// </summary>
    private static Tensor ReadStorage(Stream source, TorchStorageReference storage, long bytes, uint? crc = null)
    {
        if (bytes > Array.MaxLength)
        {
            throw new InvalidDataException($"storage '{storage.Key}' has {bytes} bytes; storages over {Array.MaxLength} bytes are not supported");
        }

        var buffer = new byte[bytes];
        source.ReadExactly(buffer);
        if (crc is { } expected && System.IO.Hashing.Crc32.HashToUInt32(buffer) != expected)
        {
            throw new InvalidDataException($"storage '{storage.Key}' fails the archive's CRC-32 check: the file is corrupted");
        }

        var flat = empty(storage.ElementCount, storage.ElementType);
        flat.bytes = buffer;
        return flat;
    }

    private static Dictionary<string, Tensor> Materialize(
        Dictionary<string, TorchTensorReference> references, Func<TorchStorageReference, Tensor> storageTensor)
    {
        var flat = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var result = new Dictionary<string, Tensor>(references.Count, StringComparer.Ordinal);
        foreach (var (key, reference) in references)
        {
            if (reference.WhyInvalid() is { } reason)
            {
                throw new InvalidDataException($"entry '{key}': {reason}");
            }

            if (!flat.TryGetValue(reference.Storage.Key, out var storage))
            {
                storage = storageTensor(reference.Storage);
                flat.Add(reference.Storage.Key, storage);
            }

            using var window = storage.as_strided(reference.Shape, reference.Strides, reference.Storage.ViewOffset + reference.StorageOffset);
            result.Add(key, empty(reference.Shape, reference.Storage.ElementType).copy_(window));
        }

        foreach (var storage in flat.Values)
        {
            storage.Dispose();
        }

        return result;
    }
}
