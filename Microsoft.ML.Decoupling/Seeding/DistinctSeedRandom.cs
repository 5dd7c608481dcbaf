namespace Microsoft.ML.Decoupling.Seeding;

/// <summary>
/// A <see cref="Random"/> for a user's seed that keeps distinct seeds distinct. <c>new Random(seed)</c> folds a negative
/// seed onto its absolute value (−1 draws as 1) and <see cref="int.MinValue"/> onto <see cref="int.MaxValue"/>; a
/// non-negative seed keeps <c>new Random(seed)</c> (so the draws of the seeds used so far, benchmarks included, do not
/// change), and a negative one draws from <see cref="SeededRandom"/> (SplitMix64) instead.
/// </summary>
internal sealed class DistinctSeedRandom : Random
{
    // The stream that sets negative seeds apart from the other SeededRandom streams of the same seed.
    private const long NegativeSeedStream = -1;
    private readonly SeededRandom _source;

    private DistinctSeedRandom(int seed) => _source = SeededRandom.ForStream(seed, NegativeSeedStream);

    /// <summary>The generator for <paramref name="seed"/>.</summary>
    public static Random Create(int seed) => seed >= 0 ? new Random(seed) : new DistinctSeedRandom(seed);

    /// <inheritdoc/>
    public override int Next() => Next(0, int.MaxValue);

    /// <inheritdoc/>
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return Next(0, maxValue);
    }

    /// <inheritdoc/>
    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        long range = (long)maxValue - minValue;
        return range <= 1 ? minValue : (int)(minValue + (long)((_source.NextUInt64() >> 1) % (ulong)range));
    }

    /// <inheritdoc/>
    public override double NextDouble() => _source.NextDouble();

    /// <inheritdoc/>
    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());

    /// <inheritdoc/>
    public override void NextBytes(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)_source.NextUInt64();
        }
    }

    /// <inheritdoc/>
    protected override double Sample() => _source.NextDouble();
}
