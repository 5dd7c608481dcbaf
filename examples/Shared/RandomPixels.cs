namespace Decoupling.Examples.Shared;

/// <summary>Seeded random images for timings and checks that need inputs but no data set.</summary>
public static class RandomPixels
{
    /// <summary><paramref name="count"/> values drawn uniformly from [0, 1) by <c>new Random(seed)</c>, in order.</summary>
    public static float[] Uniform(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)random.NextDouble();
        }

        return pixels;
    }
}
