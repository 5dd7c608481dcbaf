using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>The typed storage classes <c>torch.save</c> names in persistent ids, with their element types and sizes.</summary>
internal static class TorchStorageTypes
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> ByName = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
        ["ComplexDoubleStorage"] = (ScalarType.ComplexFloat64, 16),
        ["ComplexFloatStorage"] = (ScalarType.ComplexFloat32, 8),
    };

    /// <summary>The element type of a storage class such as <c>torch.FloatStorage</c>.</summary>
    /// <exception cref="InvalidDataException">Another class.</exception>
    public static ScalarType ElementTypeOf(object? storageClass) =>
        storageClass is PickleGlobal { Module: "torch" } global && ByName.TryGetValue(global.Name, out var entry)
            ? entry.Type
            : throw new InvalidDataException($"unsupported storage type {PickleMachine.Describe(storageClass)}");

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(ScalarType type) => ByName.Values.First(v => v.Type == type).Size;
}
