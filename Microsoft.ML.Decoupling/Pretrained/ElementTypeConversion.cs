using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Pretrained;

/// <summary>
/// Decides whether a source tensor may be copied into a target tensor of another element type. Floating point to
/// floating point is allowed (values are rounded to nearest, as PyTorch's <c>load_state_dict</c> does, e.g. float64
/// weights into a float32 module) unless a finite value would overflow to infinity; integer or bool to a real type
/// is allowed only when every value survives the round trip exactly (e.g. an int64 <c>num_batches_tracked</c> into
/// a float BatchNorm buffer); everything else (floating to integer, complex to or from real) is refused.
/// </summary>
internal static class ElementTypeConversion
{
    private static readonly HashSet<ScalarType> FloatingTypes =
        [ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16];

    private static readonly HashSet<ScalarType> IntegralTypes =
        [ScalarType.Int64, ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool];

    /// <summary>Returns null when <paramref name="source"/> may be copied into a tensor of <paramref name="targetType"/>, else why not.</summary>
    public static string? WhyNot(Tensor source, ScalarType targetType)
    {
        var sourceType = source.dtype;
        if (sourceType == targetType)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        if (FloatingTypes.Contains(sourceType) && FloatingTypes.Contains(targetType))
        {
            var converted = source.to_type(targetType);
            bool overflows = converted.isinf().logical_and(source.isfinite()).any().item<bool>();
            return overflows ? $"values overflow {targetType}" : null;
        }

        if (IntegralTypes.Contains(sourceType) && (IntegralTypes.Contains(targetType) || FloatingTypes.Contains(targetType)))
        {
            bool exact = source.to_type(targetType).to_type(sourceType).eq(source).all().item<bool>();
            return exact ? null : $"values are not exactly representable as {targetType}";
        }

        return $"no safe conversion from {sourceType} to {targetType}";
    }
}
