namespace Microsoft.ML.Decoupling.Modules;

/// <summary>The shape of a network's input image, channels first.</summary>
/// <param name="Channels">Channels C (1 gray, 3 RGB).</param>
/// <param name="Height">Height H.</param>
/// <param name="Width">Width W.</param>
public sealed record ImageShape(int Channels, int Height, int Width)
{
    /// <summary>C·H·W, the length of a flattened image.</summary>
    public int Size => checked(Channels * Height * Width);

    /// <inheritdoc/>
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}
