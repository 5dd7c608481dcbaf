using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>A source tensor that was matched to a target tensor but cannot be copied into it.</summary>
/// <param name="SourceKey">The key in the source state dictionary.</param>
/// <param name="TargetKey">The key in the target module's state dictionary.</param>
/// <param name="SourceShape">The source tensor's shape.</param>
/// <param name="SourceType">The source tensor's element type.</param>
/// <param name="TargetShape">The target tensor's shape.</param>
/// <param name="TargetType">The target tensor's element type.</param>
/// <param name="Reason">Why the copy is refused, e.g. "shape differs".</param>
internal sealed record WeightEntryMismatch(
    string SourceKey,
    string TargetKey,
    IReadOnlyList<long> SourceShape,
    ScalarType SourceType,
    IReadOnlyList<long> TargetShape,
    ScalarType TargetType,
    string Reason)
{
    /// <summary>One line: keys, both shapes and types, and the reason.</summary>
    public override string ToString()
    {
        string keys = SourceKey == TargetKey ? SourceKey : $"{SourceKey} → {TargetKey}";
        return $"{keys}: source [{string.Join(", ", SourceShape)}] {SourceType}, "
            + $"target [{string.Join(", ", TargetShape)}] {TargetType} ({Reason})";
    }
}
