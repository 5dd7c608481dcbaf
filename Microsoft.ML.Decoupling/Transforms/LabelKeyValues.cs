using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>Reads the key values of a key-typed label so that the predicted label can carry the same ones.</summary>
internal static class LabelKeyValues
{
    private const string KeyValuesKind = "KeyValues";

    /// <summary>
    /// The label's key values in key order as string[], float[], double[], int[], uint[] or long[]. A key without
    /// a KeyValues annotation gets its 0-based class indices (uint) as values.
    /// </summary>
    public static Array Read(DataViewSchema.Column label, int count)
    {
        var annotation = label.Annotations.Schema.GetColumnOrNull(KeyValuesKind);
        if (annotation is null)
        {
            return Enumerable.Range(0, count).Select(i => (uint)i).ToArray();
        }

        var itemType = ((VectorDataViewType)annotation.Value.Type).ItemType;
        Array values = itemType.RawType switch
        {
            var t when t == typeof(ReadOnlyMemory<char>) => ReadAs<ReadOnlyMemory<char>>(label).Select(v => v.ToString()).ToArray(),
            var t when t == typeof(float) => ReadAs<float>(label),
            var t when t == typeof(double) => ReadAs<double>(label),
            var t when t == typeof(int) => ReadAs<int>(label),
            var t when t == typeof(uint) => ReadAs<uint>(label),
            var t when t == typeof(long) => ReadAs<long>(label),
            _ => throw new ArgumentException(
                $"Label column '{label.Name}' has key values of type {itemType}; expected text, Single, Double, Int32, UInt32 or Int64 key values.",
                "labelColumnName"),
        };
        if (values.Length != count)
        {
            throw new ArgumentException($"Label column '{label.Name}' has {values.Length} key values for {count} keys.", "labelColumnName");
        }

        return values;
    }

    /// <summary>A one-column data view holding the values in key order, for ValueToKeyMapping's keyData.</summary>
    public static IDataView ToKeyData(MLContext mlContext, Array values) => values switch
    {
        string[] v => Load(mlContext, v),
        float[] v => Load(mlContext, v),
        double[] v => Load(mlContext, v),
        int[] v => Load(mlContext, v),
        uint[] v => Load(mlContext, v),
        long[] v => Load(mlContext, v),
        _ => throw new ArgumentException($"Unsupported key value array {values.GetType()}.", nameof(values)),
    };

    private static T[] ReadAs<T>(DataViewSchema.Column label)
    {
        VBuffer<T> buffer = default;
        label.Annotations.GetValue(KeyValuesKind, ref buffer);
        return buffer.DenseValues().ToArray();
    }

    private static IDataView Load<T>(MLContext mlContext, T[] values) =>
        mlContext.Data.LoadFromEnumerable(values.Select(v => new KeyValueRow<T> { Value = v }));

    private sealed class KeyValueRow<T>
    {
        public T Value { get; set; } = default!;
    }
}
