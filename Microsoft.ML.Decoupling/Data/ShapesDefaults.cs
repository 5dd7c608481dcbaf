namespace Microsoft.ML.Decoupling.Data;

/// <summary>Default settings of the synthetic shapes data set, shared by <see cref="ShapesOptions"/> and <see cref="ShapesGenerator"/>.</summary>
internal static class ShapesDefaults
{
    public const int Count = 4000;
    public const int ImageSize = 32;
    public const int MinImageSize = 16;
    public const int Channels = 1;
    public const float NoiseStd = 0.1f;
    public const int Seed = 0;
}
