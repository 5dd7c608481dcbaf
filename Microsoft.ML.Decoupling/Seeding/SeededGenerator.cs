using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Seeding;

/// <summary>Torch generators that a fit owns, so that parallel fits never share torch's process-wide generator.</summary>
internal static class SeededGenerator
{
    /// <summary>
    /// A CPU generator seeded with <paramref name="seed"/> as <c>torch.manual_seed(seed)</c> seeds the process-wide one,
    /// so it draws the same values. TorchSharp 0.107 creates CPU generators only (its constructor ignores the device),
    /// so draws for another device are made on the CPU and copied.
    /// </summary>
    public static Generator Create(int seed) => new(unchecked((ulong)(long)seed));
}
