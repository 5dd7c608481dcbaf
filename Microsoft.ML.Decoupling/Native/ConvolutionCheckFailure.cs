namespace Microsoft.ML.Decoupling.Native;

/// <summary>A quantity of a <see cref="ConvolutionCheckCase"/> that differs from its reference.</summary>
/// <param name="Case">The convolution.</param>
/// <param name="Quantity">"output", "input gradient" or "weight gradient".</param>
/// <param name="Error">Largest absolute difference (NaN or ∞ when a value is not finite).</param>
/// <param name="Scale">Largest absolute reference value.</param>
internal sealed record ConvolutionCheckFailure(ConvolutionCheckCase Case, string Quantity, double Error, double Scale)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Quantity} of conv2d ({Case}): max error {Error:G3} at scale {Scale:G3}";
}
