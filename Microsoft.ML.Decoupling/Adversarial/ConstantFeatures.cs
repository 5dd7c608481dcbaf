namespace Microsoft.ML.Decoupling.Adversarial;

/// <summary>
/// Counts the features that take one value over a whole calibration set: legal, but a detector fitted on them has
/// nothing to measure (constant images, a dead network), so its fit warns.
/// </summary>
internal static class ConstantFeatures
{
    /// <summary>The columns of <paramref name="values"/> (<paramref name="rows"/> rows of <paramref name="width"/> values) whose values are all equal.</summary>
    public static int Count(ReadOnlySpan<float> values, int rows, int width)
    {
        int constant = 0;
        for (int column = 0; column < width; column++)
        {
            float first = values[column];
            bool same = true;
            for (long row = 1; row < rows && same; row++)
            {
                same = values[(int)((row * width) + column)].Equals(first);
            }

            constant += same ? 1 : 0;
        }

        return constant;
    }

    /// <summary>Where a fit's warning goes: <paramref name="warn"/>, or standard error when it is null (as <see cref="Native.ConvolutionSelfCheck.EnsureCorrect"/> does).</summary>
    public static void Warn(Action<string>? warn, string message) => (warn ?? Console.Error.WriteLine)(message);
}
