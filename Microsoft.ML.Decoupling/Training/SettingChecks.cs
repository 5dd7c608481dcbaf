using System.Globalization;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>The range checks behind every settings validation, so that each rule and its message exist once.</summary>
internal static class SettingChecks
{
    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="name"/> unless min ≤ value ≤ max (NaN fails).</summary>
    public static void RequireRange(double value, double min, double max, string name)
    {
        if (double.IsNaN(value) || value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be in [{min}, {max}]."));
        }
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="name"/> unless the value is positive and finite.</summary>
    public static void RequirePositive(double value, string name)
    {
        if (double.IsNaN(value) || value <= 0 || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive finite number.");
        }
    }
}
