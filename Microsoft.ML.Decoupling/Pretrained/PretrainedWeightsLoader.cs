using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>
/// Copies pretrained weights (a source state dictionary, e.g. read by <see cref="StateDictFile"/>) into the parameters
/// and buffers of a TorchSharp module, with a name map, optional target keys and ignored source prefixes. Everything is
/// validated first; on any mismatch a <see cref="PretrainedWeightsMismatchException"/> lists all problems and nothing
/// is copied.
/// </summary>
/// <remarks>
/// Targets are the module's <c>state_dict()</c> entries: parameters and persistent buffers (BatchNorm's running_mean,
/// running_var and num_batches_tracked included). Values are copied in place under <c>no_grad</c>, so the module keeps
/// its tensor objects (an optimizer built on them stays valid), their devices and element types. Element types are
/// converted only when safe: see the remarks on <see cref="Load(nn.Module, IReadOnlyDictionary{string, Tensor}, string?)"/>.
/// </remarks>
internal sealed class PretrainedWeightsLoader
{
    /// <summary>
    /// Maps a source key to the target key it loads into, or to null when the source key is deliberately not used.
    /// Default: the identity.
    /// </summary>
    public Func<string, string?> MapSourceKey { get; init; } = key => key;

    /// <summary>
    /// True for target keys that may keep their own initialisation when the source does not provide them (e.g. gates
    /// and per-layer path classifiers that a dense network lacks). Default: none.
    /// </summary>
    public Func<string, bool> IsOptionalTargetKey { get; init; } = _ => false;

    /// <summary>
    /// Source keys starting with any of these (ordinal comparison, before the name map) are ignored, e.g. <c>"fc."</c>
    /// for a classifier head with another class count. Include the dot: <c>"fc"</c> would also match <c>"fc2.weight"</c>.
    /// </summary>
    public IReadOnlyList<string> IgnoredSourcePrefixes { get; init; } = [];

    /// <summary>
    /// True for source keys whose mapped target may be absent from the module: they are then listed in
    /// <see cref="PretrainedWeightsLoadReport.UnmappedSourceKeys"/> instead of failing the load. Default: none.
    /// </summary>
    public Func<string, bool> MayLackTarget { get; init; } = _ => false;

    /// <summary>Reads a state dictionary file (see <see cref="StateDictFile.Read"/>) and loads it into <paramref name="target"/>.</summary>
    /// <param name="target">The module whose parameters and buffers are overwritten.</param>
    /// <param name="path">A <c>.pt</c>, <c>.pth</c>, <c>.bin</c> or <c>.safetensors</c> file.</param>
    /// <returns>What was loaded, kept and ignored.</returns>
    /// <exception cref="PretrainedWeightsMismatchException">The file's entries do not fit the module; nothing was loaded.</exception>
    public PretrainedWeightsLoadReport Load(nn.Module target, string path)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        var source = StateDictFile.Read(path);
        return Load(target, source, Path.GetFileName(path));
    }

    /// <summary>Loads a source state dictionary into <paramref name="target"/>; the source tensors are not modified or disposed.</summary>
    /// <param name="target">The module whose parameters and buffers are overwritten.</param>
    /// <param name="source">The pretrained tensors by key.</param>
    /// <param name="sourceName">Where the tensors came from, for messages (e.g. a file name); optional.</param>
    /// <returns>What was loaded, kept and ignored.</returns>
    /// <exception cref="PretrainedWeightsMismatchException">
    /// A used source key has no free target key, a required target key is not provided, or a matched pair differs in
    /// shape or has element types without a safe conversion; nothing was loaded.
    /// </exception>
    /// <remarks>
    /// Element types: equal types are copied bit for bit; floating to floating is rounded to nearest (float64 weights
    /// into a float32 module are fine) unless a finite value would overflow; integer or bool to a real type is allowed
    /// when every value converts exactly; floating to integer and anything complex to or from real are refused.
    /// </remarks>
    public PretrainedWeightsLoadReport Load(nn.Module target, IReadOnlyDictionary<string, Tensor> source, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var targets = target.state_dict();

        var ignored = new List<string>();
        var unmatched = new List<string>();
        var unmapped = new List<string>();
        var unmatchedLines = new List<string>();
        var incompatible = new List<WeightEntryMismatch>();
        var sourceOfTarget = new Dictionary<string, string>(StringComparer.Ordinal);
        var copies = new List<(Tensor From, Tensor To, string TargetKey)>();

        foreach (string sourceKey in source.Keys.Order(StringComparer.Ordinal))
        {
            string? targetKey = IsIgnored(sourceKey) ? null : MapSourceKey(sourceKey);
            if (targetKey is null)
            {
                ignored.Add(sourceKey);
                continue;
            }

            string shown = targetKey == sourceKey ? sourceKey : $"{sourceKey} → {targetKey}";
            if (!targets.TryGetValue(targetKey, out var to))
            {
                if (MayLackTarget(sourceKey))
                {
                    unmapped.Add(sourceKey);
                    continue;
                }

                unmatched.Add(sourceKey);
                unmatchedLines.Add(shown);
                continue;
            }

            if (sourceOfTarget.TryGetValue(targetKey, out string? earlier))
            {
                unmatched.Add(sourceKey);
                unmatchedLines.Add($"{shown} (already provided by '{earlier}')");
                continue;
            }

            sourceOfTarget.Add(targetKey, sourceKey);
            var from = source[sourceKey];
            string? reason = from.shape.SequenceEqual(to.shape) ? ElementTypeConversion.WhyNot(from, to.dtype) : "shape differs";
            if (reason is not null)
            {
                incompatible.Add(new WeightEntryMismatch(sourceKey, targetKey, from.shape, from.dtype, to.shape, to.dtype, reason));
                continue;
            }

            copies.Add((from, to, targetKey));
        }

        var absent = targets.Keys.Where(key => !sourceOfTarget.ContainsKey(key)).ToList();
        var missing = absent.Where(key => !IsOptionalTargetKey(key)).ToList();
        if (unmatched.Count > 0 || missing.Count > 0 || incompatible.Count > 0)
        {
            throw new PretrainedWeightsMismatchException(sourceName, unmatched, missing, incompatible, unmatchedLines);
        }

        var converted = new List<string>();
        foreach (var (from, to, targetKey) in copies)
        {
            if (from.dtype != to.dtype)
            {
                converted.Add(targetKey);
            }

            to.copy_(from);
        }

        var keptInitial = absent.Where(IsOptionalTargetKey).ToList();
        return new PretrainedWeightsLoadReport(copies.Count, keptInitial, ignored, converted) { UnmappedSourceKeys = unmapped };
    }

    private bool IsIgnored(string sourceKey)
    {
        foreach (string prefix in IgnoredSourcePrefixes)
        {
            if (sourceKey.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
