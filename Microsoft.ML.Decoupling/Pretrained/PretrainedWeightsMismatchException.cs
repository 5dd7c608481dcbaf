using System.Text;

namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>
/// Thrown by <see cref="PretrainedWeightsLoader"/> when a source state dictionary does not fit the target module.
/// The message lists every problem (up to <see cref="MaxListedPerSection"/> per kind, then a count); the properties
/// hold all of them. Nothing has been copied when this is thrown.
/// </summary>
/// <remarks>
/// An <see cref="InvalidOperationException"/>, like the one TorchSharp's own <c>load_state_dict</c> throws for
/// mismatched keys (<see cref="InvalidDataException"/>, the closer meaning, is sealed).
/// </remarks>
public sealed class PretrainedWeightsMismatchException : InvalidOperationException
{
    /// <summary>How many entries of each kind the message lists before summarising the rest as a count.</summary>
    public const int MaxListedPerSection = 20;

    /// <summary>Creates the exception with a message that lists the problems.</summary>
    /// <param name="sourceName">Where the weights came from (a file name), or null.</param>
    /// <param name="unmatchedSourceKeys">Source keys with no free target key.</param>
    /// <param name="missingTargetKeys">Required target keys that no source key provides.</param>
    /// <param name="incompatibleEntries">Matched pairs whose shape or element type forbid the copy.</param>
    /// <param name="unmatchedDescriptions">
    /// Optional message lines for <paramref name="unmatchedSourceKeys"/>, one per key in the same order (e.g. showing
    /// the name the key was mapped to); the keys themselves are listed when null.
    /// </param>
    internal PretrainedWeightsMismatchException(
        string? sourceName,
        IReadOnlyList<string> unmatchedSourceKeys,
        IReadOnlyList<string> missingTargetKeys,
        IReadOnlyList<WeightEntryMismatch> incompatibleEntries,
        IReadOnlyList<string>? unmatchedDescriptions = null)
        : base(Describe(sourceName, unmatchedDescriptions ?? unmatchedSourceKeys, missingTargetKeys, incompatibleEntries))
    {
        UnmatchedSourceKeys = unmatchedSourceKeys;
        MissingTargetKeys = missingTargetKeys;
        IncompatibleEntries = incompatibleEntries;
    }

    /// <summary>Source keys (neither ignored nor mapped to null) whose target key is absent or already taken.</summary>
    public IReadOnlyList<string> UnmatchedSourceKeys { get; }

    /// <summary>Target keys that are not optional and that no source key provides, in the target's state_dict order.</summary>
    public IReadOnlyList<string> MissingTargetKeys { get; }

    /// <summary>Matched entries whose shapes differ or whose element types cannot be converted safely.</summary>
    internal IReadOnlyList<WeightEntryMismatch> IncompatibleEntries { get; }

    private static string Describe(
        string? sourceName,
        IReadOnlyList<string> unmatched,
        IReadOnlyList<string> missing,
        IReadOnlyList<WeightEntryMismatch> incompatible)
    {
        var text = new StringBuilder();
        text.Append("The pretrained weights").Append(sourceName is null ? "" : $" from '{sourceName}'")
            .Append(" do not match the target module (")
            .Append($"{unmatched.Count} source key(s) without a target, ")
            .Append($"{missing.Count} required target key(s) missing from the source, ")
            .Append($"{incompatible.Count} incompatible entr{(incompatible.Count == 1 ? "y" : "ies")}); nothing was loaded.");
        AppendSection(text, "Source keys without a target", unmatched);
        AppendSection(text, "Required target keys missing from the source", missing);
        AppendSection(text, "Incompatible entries", incompatible.Select(m => m.ToString()).ToList());
        return text.ToString();
    }

    private static void AppendSection(StringBuilder text, string title, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        text.AppendLine().Append(title).Append($" ({lines.Count}):");
        foreach (string line in lines.Take(MaxListedPerSection))
        {
            text.AppendLine().Append("  ").Append(line);
        }

        if (lines.Count > MaxListedPerSection)
        {
            text.AppendLine().Append($"  … and {lines.Count - MaxListedPerSection} more");
        }
    }
}
