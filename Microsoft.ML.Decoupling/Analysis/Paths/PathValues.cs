using System.Globalization;

namespace Microsoft.ML.Decoupling.Analysis.Paths;

/// <summary>
/// The one check of calculation-path values entering an analysis: each is 0 (filter off) or 1 (on). A NaN or 0.7 has no
/// meaning as a gate, and a threshold would count it silently as off or on.
/// </summary>
internal static class PathValues
{
    /// <summary>Throws unless every value of <paramref name="values"/> (paths of <paramref name="pathLength"/> values, row after row) is 0 or 1.</summary>
    /// <exception cref="ArgumentException">A value is neither 0 nor 1; the message names the path, the index in it and the value.</exception>
    public static void RequireBinary(ReadOnlySpan<float> values, int pathLength, string parameter)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float value = values[i];
            if (value != 0f && value != 1f)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Path {i / pathLength} holds {value} at index {i % pathLength}; path values are 0 (filter off) or 1 (on)."),
                    parameter);
            }
        }
    }
}
