namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>
/// Finds the state dictionary in what a <c>torch.save</c> file holds: the file's dictionary itself when every value is a
/// tensor, else the dictionary under the first of <see cref="WrapperKeys"/> that holds one (training checkpoints such as
/// <c>{"epoch": …, "state_dict": …, "optimizer": …}</c>). A <c>module.</c> prefix on every key (a model wrapped in
/// <c>DataParallel</c> or <c>DistributedDataParallel</c> when saved) is removed.
/// </summary>
internal static class StateDictLocator
{
    /// <summary>Keys under which checkpoints commonly keep the model's state dictionary, in the order they are tried.</summary>
    public static IReadOnlyList<string> WrapperKeys { get; } = ["state_dict", "model_state_dict", "model", "net"];

    /// <summary>The prefix <c>DataParallel</c> adds to every key.</summary>
    public const string DataParallelPrefix = "module.";

    /// <summary>Returns the tensors by key, with any wrapper and <c>module.</c> prefix removed.</summary>
    /// <exception cref="InvalidDataException">No state dictionary; the message says what the file holds instead.</exception>
    public static Dictionary<string, TorchTensorReference> Locate(object? root)
    {
        if (root is not Dictionary<object, object?> top)
        {
            throw new InvalidDataException($"the file holds {PickleMachine.Describe(root)}, not a state dictionary; save model.state_dict()");
        }

        if (top.Count == 0)
        {
            return new Dictionary<string, TorchTensorReference>(StringComparer.Ordinal);
        }

        if (AsStateDict(top) is { } direct)
        {
            return StripDataParallelPrefix(direct);
        }

        foreach (string key in WrapperKeys)
        {
            if (top.TryGetValue(key, out var inner) && inner is Dictionary<object, object?> dict && AsStateDict(dict) is { } wrapped)
            {
                return StripDataParallelPrefix(wrapped);
            }
        }

        var (badKey, badValue) = top.FirstOrDefault(kv => kv.Value is not TorchTensorReference);
        string hint = badValue is PickleObject obj
            ? $"a pickled {obj.Type} (a whole module?); save model.state_dict()"
            : "save model.state_dict(), or a checkpoint that keeps it under " + string.Join(", ", WrapperKeys.Select(k => $"'{k}'"));
        throw new InvalidDataException(
            $"entry '{badKey}' holds {PickleMachine.Describe(badValue)}, not a tensor, and no state dictionary was found under "
            + $"{string.Join(", ", WrapperKeys.Select(k => $"'{k}'"))}; {hint}");
    }

    private static Dictionary<string, TorchTensorReference>? AsStateDict(Dictionary<object, object?> dict)
    {
        var result = new Dictionary<string, TorchTensorReference>(dict.Count, StringComparer.Ordinal);
        foreach (var (key, value) in dict)
        {
            if (key is not string name || value is not TorchTensorReference tensor)
            {
                return null;
            }

            result.Add(name, tensor);
        }

        return result.Count > 0 ? result : null;
    }

    private static Dictionary<string, TorchTensorReference> StripDataParallelPrefix(Dictionary<string, TorchTensorReference> stateDict)
    {
        if (!stateDict.Keys.All(k => k.StartsWith(DataParallelPrefix, StringComparison.Ordinal) && k.Length > DataParallelPrefix.Length))
        {
            return stateDict;
        }

        return stateDict.ToDictionary(kv => kv.Key[DataParallelPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
    }
}
