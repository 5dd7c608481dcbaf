using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// The inference-time pixel check (<see cref="DecoupleNetworkEstimator.Options.CheckPixels"/>): every value of the image
/// column must be a finite value in [0, 1], as training requires, or reading the row fails naming the column, the row
/// and the value. Without it a NaN pixel gives NaN scores and NaN path values (the exported gates' step passes NaN on),
/// and bytes not divided by 255 give confident scores of a network that never saw such values, without a word.
/// </summary>
internal static class PixelCheck
{
    /// <summary>Wraps <paramref name="getter"/> when it reads <paramref name="imageColumn"/> as a vector of Single.</summary>
    public static ValueGetter<TValue> Wrap<TValue>(ValueGetter<TValue> getter, DataViewSchema.Column column, int imageColumn, string imageColumnName, Func<long> position)
    {
        if (column.Index != imageColumn || getter is not ValueGetter<VBuffer<float>> pixels)
        {
            return getter;
        }

        ValueGetter<VBuffer<float>> checkedGetter = (ref VBuffer<float> value) =>
        {
            pixels(ref value);
            var values = value.GetValues();
            for (int i = 0; i < values.Length; i++)
            {
                if (!Inference.PixelInput.IsUnitPixel(values[i]))
                {
                    int index = value.IsDense ? i : value.GetIndices()[i];
                    throw Marked(new InvalidOperationException(Message(imageColumnName, values[i], index, position())));
                }
            }
        };
        return (ValueGetter<TValue>)(Delegate)checkedGetter;
    }

    /// <summary>What the check says of <paramref name="value"/> at <paramref name="index"/> of row <paramref name="row"/> (scoring and compaction).</summary>
    public static string Message(string imageColumnName, float value, int index, long row) =>
        $"Column '{imageColumnName}' holds {value} at index {index} of row {row}; the network was trained on {Inference.PixelInput.UnitPixelExpectation}. "
        + $"Fix the data, or set {nameof(DecoupleNetworkEstimator.Options)}.{nameof(DecoupleNetworkEstimator.Options.CheckPixels)} = false to skip this check.";

    /// <summary>
    /// Runs <paramref name="action"/>; when it fails because of the pixel check somewhere inside (ML.NET reads rows on
    /// worker threads and wraps their exceptions in "Splitter/consolidator worker encountered exception"), rethrows the
    /// check's own exception, whose message names the column and the row.
    /// </summary>
    public static T Unwrapped<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (!IsMarked(ex) && Find(ex) is { } pixel)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(pixel);
            throw; // not reached
        }
    }

    // The check's exceptions are plain InvalidOperationExceptions, marked so that they can be found inside ML.NET's.
    private const string Marker = "Microsoft.ML.Decoupling.PixelOutOfRange";

    private static Exception Marked(Exception ex)
    {
        ex.Data[Marker] = true;
        return ex;
    }

    private static bool IsMarked(Exception ex) => ex.Data.Contains(Marker);

    private static Exception? Find(Exception? ex)
    {
        for (int depth = 0; ex is not null && depth < 16; depth++, ex = ex.InnerException)
        {
            if (IsMarked(ex))
            {
                return ex;
            }

            if (ex is AggregateException aggregate && aggregate.InnerExceptions.Select(Find).FirstOrDefault(p => p is not null) is { } found)
            {
                return found;
            }
        }

        return null;
    }
}
