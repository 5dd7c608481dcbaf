using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>
/// Reads and writes PyTorch state dictionaries (parameter and buffer tensors by name) in the two formats PyTorch
/// users publish weights in: <c>torch.save</c> zip pickles (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>) and safetensors
/// (<c>.safetensors</c>). The format follows the file extension.
/// </summary>
/// <remarks>
/// Only state dictionaries are supported (<c>torch.save(model.state_dict(), path)</c>), not pickled modules or
/// checkpoints that nest a state dictionary among other values; PyTorch's legacy (pre-1.6, non-zip) format is not
/// supported either, nor (a TorchSharp.PyBridge 1.4.4 limit) pickles in which a tensor is a view at a non-zero offset
/// into a larger storage, which <c>model.state_dict()</c> does not produce (re-save such tensors with <c>.clone()</c>).
/// Key order is not preserved on reading.
/// </remarks>
public static class StateDictFile
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
                result = format == Format.Pickle ? ReadPickle(stream) : Safetensors.LoadStateDict(stream, leaveOpen: true);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // libtorch errors carry a native stack trace after the first line; the inner exception keeps it.
                string reason = ex.Message.Split('\n', 2)[0].TrimEnd();
                throw new InvalidDataException(
                    $"'{Path.GetFileName(path)}' is not a readable {Describe(format)} state dictionary: {reason}", ex);
            }
        }

        foreach (var tensor in result.Values)
        {
            tensor.MoveToOuterDisposeScope();
        }

        return result;
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

    private static Dictionary<string, Tensor> ReadPickle(Stream stream)
    {
        var table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        var result = new Dictionary<string, Tensor>(table.Count, StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor tensor)
            {
                throw new InvalidDataException(
                    $"entry '{entry.Key}' holds a {entry.Value?.GetType().Name ?? "null"}, not a tensor; "
                    + "save model.state_dict() itself, not a checkpoint that contains it");
            }

            result.Add(key, tensor);
        }

        return result;
    }

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
