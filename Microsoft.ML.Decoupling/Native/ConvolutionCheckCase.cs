namespace Microsoft.ML.Decoupling.Native;

/// <summary>One convolution the self-check runs: a 3×3 conv2d with padding 1.</summary>
internal readonly record struct ConvolutionCheckCase(int Batch, int InputChannels, int OutputChannels, int Size, int Stride)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"batch {Batch}, {InputChannels}→{OutputChannels} channels, {Size}×{Size}, 3×3 stride {Stride}";
}
