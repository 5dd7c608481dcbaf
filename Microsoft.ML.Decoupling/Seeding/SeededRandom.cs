namespace Microsoft.ML.Decoupling.Seeding;

/// <summary>
/// A small SplitMix64 generator: fully specified here, so generated data do not depend on how
/// <see cref="Random"/> is implemented in a given runtime.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;
    private double _spareGaussian;
    private bool _hasSpareGaussian;

    public SeededRandom(ulong seed)
    {
        _state = seed;
    }

    /// <summary>A generator for item <paramref name="stream"/> of a data set seeded with <paramref name="seed"/>.</summary>
    public static SeededRandom ForStream(int seed, long stream) =>
        new(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)stream * 0xD1B54A32D192ED03UL) ^ 0x2545F4914F6CDD1DUL);

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double Uniform(double min, double max) => min + ((max - min) * NextDouble());

    /// <summary>Uniform integer in [0, <paramref name="count"/>).</summary>
    public int NextInt(int count) => (int)(((NextUInt64() >> 32) * (ulong)count) >> 32);

    public bool NextBool() => (NextUInt64() >> 63) != 0;

    /// <summary>Standard normal sample (Marsaglia's polar method).</summary>
    public double NextGaussian()
    {
        if (_hasSpareGaussian)
        {
            _hasSpareGaussian = false;
            return _spareGaussian;
        }

        double u, v, s;
        do
        {
            u = (2.0 * NextDouble()) - 1.0;
            v = (2.0 * NextDouble()) - 1.0;
            s = (u * u) + (v * v);
        }
        while (s >= 1.0 || s == 0.0);

        double factor = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spareGaussian = v * factor;
        _hasSpareGaussian = true;
        return u * factor;
    }
}
