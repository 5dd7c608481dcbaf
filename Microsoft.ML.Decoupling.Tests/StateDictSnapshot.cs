using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>A copy of a module's state dict as bytes (no tensors to dispose), compared bit for bit.</summary>
internal sealed class StateDictSnapshot
{
    private StateDictSnapshot(Dictionary<string, (ScalarType Type, long[] Shape, byte[] Bytes)> entries) => Entries = entries;

    public IReadOnlyDictionary<string, (ScalarType Type, long[] Shape, byte[] Bytes)> Entries { get; }

    public IEnumerable<string> Keys => Entries.Keys;

    public static StateDictSnapshot Of(nn.Module module) => Of(module.state_dict());

    public static StateDictSnapshot Of(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        using var scope = NewDisposeScope();
        return new StateDictSnapshot(stateDict.ToDictionary(
            kv => kv.Key,
            kv =>
            {
                var plain = kv.Value.detach().cpu().contiguous();
                return (kv.Value.dtype, kv.Value.shape, plain.bytes.ToArray());
            }));
    }

    /// <summary>Asserts that <paramref name="key"/> holds the same element type, shape and bytes in both snapshots.</summary>
    public static void AssertIdentical(StateDictSnapshot expected, StateDictSnapshot actual, string key, string what)
    {
        Assert.IsTrue(expected.Entries.ContainsKey(key), $"{what}: '{key}' missing from the expected state");
        Assert.IsTrue(actual.Entries.ContainsKey(key), $"{what}: '{key}' missing from the actual state");
        var e = expected.Entries[key];
        var a = actual.Entries[key];
        Assert.AreEqual(e.Type, a.Type, $"{what}: '{key}' element type");
        CollectionAssert.AreEqual(e.Shape, a.Shape, $"{what}: '{key}' shape");
        CollectionAssert.AreEqual(e.Bytes, a.Bytes, $"{what}: '{key}' values");
    }

    /// <summary>Asserts the same keys and bit-identical tensors.</summary>
    public static void AssertIdentical(StateDictSnapshot expected, StateDictSnapshot actual, string what)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), actual.Keys.ToArray(), $"{what}: keys");
        foreach (string key in expected.Keys)
        {
            AssertIdentical(expected, actual, key, what);
        }
    }
}
