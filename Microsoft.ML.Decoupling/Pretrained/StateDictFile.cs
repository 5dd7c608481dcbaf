using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>
/// Reads and writes PyTorch state dictionaries (parameter and buffer tensors by name) in the formats PyTorch users
/// publish weights in: <c>torch.save</c> pickles (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>; the zip container of PyTorch ≥ 1.6
/// and, for reading, the legacy container of earlier versions) and safetensors (<c>.safetensors</c>). The format
/// follows the file extension.
/// </summary>
/// <remarks>
/// Reading accepts a state dictionary (<c>torch.save(model.state_dict(), path)</c>) or a training checkpoint that keeps
/// one under <c>state_dict</c>, <c>model_state_dict</c>, <c>model</c> or <c>net</c> (other entries, e.g. the optimizer,
/// are skipped without reading their tensors); a <c>module.</c> prefix on every key (<c>DataParallel</c>) is removed.
/// Pickled modules (<c>torch.save(model)</c>) are refused. Pickles are read by this package's own interpreter, which
/// never runs code from the file; writing uses TorchSharp.PyBridge (zip container). Key order is not preserved on reading.
/// </remarks>
internal static class StateDictFile
{
    /// <summary>The extensions read and written as a <c>torch.save</c> zip pickle.</summary>
    public static IReadOnlyList<string> PickleExtensions { get; } = [".pt", ".pth", ".bin"];

    /// <summary>The extensions read and written as safetensors.</summary>
    public static IReadOnlyList<string> SafetensorsExtensions { get; } = [".safetensors"];

    private enum Format
    {
        Pickle,
        Safetensors,
    }

    // The dtypes each writer knows (TorchSharp.PyBridge throws NotImplementedException for any other).
    private static readonly HashSet<ScalarType> PickleTypes =
    [
        ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
        ScalarType.ComplexFloat64, ScalarType.ComplexFloat32,
    ];

    private static readonly HashSet<ScalarType> SafetensorsTypes =
    [
        ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    ];

    /// <summary>
    /// Reads every tensor of a state dictionary file into CPU tensors owned by the caller (dispose them, or call this
    /// inside a dispose scope, which then owns them).
    /// </summary>
    /// <param name="path">A <c>.pt</c>, <c>.pth</c>, <c>.bin</c> or <c>.safetensors</c> file.</param>
    /// <returns>The tensors by key, e.g. <c>features.0.weight</c>, <c>bn1.running_mean</c>.</returns>
    /// <exception cref="ArgumentException">The extension is not one of the accepted ones.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file cannot be parsed as a state dictionary of that format.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var format = FormatOf(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"State dictionary file '{path}' does not exist.", path);
        }

        // The scope owns everything the readers create, including what a failed read leaves behind and the untracked
        // intermediate tensor the pickle reader makes per entry; only the returned tensors leave it.
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> result;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            try
            {
                result = format == Format.Pickle ? Pickle.TorchPickleFile.ReadStateDict(stream) : Safetensors.LoadStateDict(stream, leaveOpen: true);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // libtorch errors carry a native stack trace after the first line; the inner exception keeps it.
                string reason = ex.Message.Split('\n', 2)[0].TrimEnd();
                throw new InvalidDataException(
                    $"'{Path.GetFileName(path)}' is not a readable {Describe(format)} state dictionary: {reason}", ex);
            }
        }

        // A corrupted file can decode to NaN or infinite weights that would train on silently.
        foreach (var (key, tensor) in result)
        {
            if (tensor.is_floating_point() && !isfinite(tensor).all().item<bool>())
            {
                throw new InvalidDataException($"'{Path.GetFileName(path)}' holds non-finite values in '{key}'; the file is corrupted or was saved from a diverged training.");
            }
        }

        foreach (var tensor in result.Values)
        {
            tensor.MoveToOuterDisposeScope();
        }

        return result;
    }

    /// <summary>
    /// Checks, without reading the tensors, that <paramref name="path"/> starts as its extension says: a zip archive
    /// (<c>PK</c>, torch.save ≥ 1.6) or a pickle (byte 0x80, the legacy torch.save) for .pt/.pth/.bin, an 8-byte header
    /// length followed by a JSON object for .safetensors. A file given by mistake (a text file, an image) fails here, when
    /// the file is named, not when the training starts; a zip that is no torch.save file still fails only when read.
    /// </summary>
    /// <exception cref="ArgumentException">The extension is not one of the accepted ones.</exception>
    /// <exception cref="InvalidDataException">The first bytes are not those of the format.</exception>
    public static void RequireFormat(string path)
    {
        var format = FormatOf(path);
        Span<byte> head = stackalloc byte[9];
        long length;
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            length = stream.Length;
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        head = head[..read];
        bool valid;
        string expected;
        if (format == Format.Pickle)
        {
            valid = head.StartsWith("PK\u0003\u0004"u8) || (read >= 2 && head[0] == 0x80);
            expected = "a zip archive (torch.save, starting with 'PK') or a pickle (legacy torch.save, starting with byte 0x80)";
        }
        else
        {
            valid = read == 9 && System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(head) is var size
                && size >= 2 && size <= (ulong)(length - 8) && head[8] == (byte)'{';
            expected = "an 8-byte little-endian header length no larger than the file, then a JSON object ('{')";
        }

        if (!valid)
        {
            string found = read == 0 ? "the file is empty" : $"it starts with {Convert.ToHexString(head)}";
            throw new InvalidDataException($"'{path}' is not a {Describe(format)} weights file: expected {expected}; {found}.");
        }
    }

    /// <summary>
    /// Writes a state dictionary in the format named by the extension, atomically: the tensors go to a temporary file
    /// in the same folder, which then replaces <paramref name="path"/>; on failure no file is left behind and an
    /// existing file is untouched.
    /// </summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="stateDict">The tensors by key; any device, any layout (they are copied to contiguous CPU memory).</param>
    /// <exception cref="ArgumentException">The extension is not accepted, or a tensor's dtype cannot be stored in that format.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(stateDict);
        var format = FormatOf(path);
        string fullPath = Path.GetFullPath(path);
        IO.AtomicFile.Write(fullPath, stream =>
        {
            using var scope = NewDisposeScope();
            var plain = ToPlainCpuTensors(stateDict, format);
            if (format == Format.Pickle)
            {
                PyTorchPickler.PickleStateDict(stream, plain, leaveOpen: true);
            }
            else
            {
                Safetensors.SaveStateDict(stream, plain, leaveOpen: true);
            }
        });
    }

    /// <summary>
    /// Writes a module's <c>state_dict()</c> (parameters and persistent buffers), atomically, like
    /// <see cref="Write(string, IReadOnlyDictionary{string, Tensor})"/>.
    /// </summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="module">The module whose parameters and buffers are written.</param>
    public static void Write(string path, nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope(); // for handles state_dict() may create, never the module's own tensors
        Write(path, module.state_dict());
    }

    private static Format FormatOf(string path)
    {
        string extension = Path.GetExtension(path);
        if (PickleExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
        {
            return Format.Pickle;
        }

        if (SafetensorsExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
        {
            return Format.Safetensors;
        }

        throw new ArgumentException(
            $"'{Path.GetFileName(path)}' has extension '{extension}'; accepted: "
            + $"{string.Join(", ", PickleExtensions.Concat(SafetensorsExtensions))}.",
            nameof(path));
    }

    private static string Describe(Format format) => format == Format.Pickle ? "PyTorch (torch.save)" : "safetensors";

    // Checks dtypes (PyBridge would throw NotImplementedException). Both writers dump NumberOfElements × ElementSize
    // bytes from the tensor's data pointer and the pickle also records its storage offset and strides, so anything but
    // a contiguous, offset-0 CPU tensor would be written wrongly; detach() stores requires_grad=False like PyTorch.
    private static Dictionary<string, Tensor> ToPlainCpuTensors(IReadOnlyDictionary<string, Tensor> stateDict, Format format)
    {
        var supported = format == Format.Pickle ? PickleTypes : SafetensorsTypes;
        var plain = new Dictionary<string, Tensor>(stateDict.Count, StringComparer.Ordinal);
        foreach (var (key, tensor) in stateDict)
        {
            if (!supported.Contains(tensor.dtype))
            {
                throw new ArgumentException(
                    $"Tensor '{key}' has dtype {tensor.dtype}, which {Describe(format)} files cannot hold.", nameof(stateDict));
            }

            var value = tensor.detach();
            if (value.device_type != DeviceType.CPU)
            {
                value = value.cpu();
            }

            if (!value.is_contiguous() || value.storage_offset() != 0)
            {
                value = value.contiguous().clone();
            }

            plain.Add(key, value);
        }

        return plain;
    }
}
