namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// One step of a network's forward program. Steps read and write numbered feature maps (0 is the normalised input).
/// Every interpreter of the program (the TorchSharp forward pass, the ONNX exporter, the compactor, per-input skipping)
/// is an <see cref="INetworkStepVisitor{TMap}"/>: a new step kind adds a method to that interface, so the build fails
/// until every interpreter handles it, and the interpreters cannot drift apart.
/// </summary>
internal abstract record NetworkStep(int Output)
{
    /// <summary>Calls the method of <paramref name="visitor"/> for this kind of step.</summary>
    public abstract TMap Accept<TMap>(INetworkStepVisitor<TMap> visitor);
}

/// <summary>Output = unit(Input): conv, BatchNorm, optional ReLU, optional gate and mask.</summary>
internal sealed record ConvolutionStep(int Input, int Output, ConvolutionUnit Unit) : NetworkStep(Output)
{
    public override TMap Accept<TMap>(INetworkStepVisitor<TMap> visitor) => visitor.Convolution(this);
}

/// <summary>Output = MaxPool(Input) with a square kernel.</summary>
internal sealed record MaxPoolStep(int Input, int Output, int KernelSize, int Stride, int Padding) : NetworkStep(Output)
{
    public override TMap Accept<TMap>(INetworkStepVisitor<TMap> visitor) => visitor.MaxPool(this);
}

/// <summary>Output = ReLU(Main + Shortcut): the end of a residual block.</summary>
internal sealed record ResidualAddStep(int Main, int Shortcut, int Output) : NetworkStep(Output)
{
    public override TMap Accept<TMap>(INetworkStepVisitor<TMap> visitor) => visitor.ResidualAdd(this);
}

/// <summary>
/// He et al.'s option-A shortcut: Output = Input[:, :, ::Stride, ::Stride] with <paramref name="PadChannels"/> zero
/// channels added before and after (no parameters).
/// </summary>
internal sealed record ZeroPadShortcutStep(int Input, int Output, int Stride, int PadChannels) : NetworkStep(Output)
{
    public override TMap Accept<TMap>(INetworkStepVisitor<TMap> visitor) => visitor.ZeroPadShortcut(this);
}

/// <summary>Output = the inputs concatenated along the channels (inception blocks).</summary>
internal sealed record ConcatStep(IReadOnlyList<int> Inputs, int Output) : NetworkStep(Output)
{
    public override TMap Accept<TMap>(INetworkStepVisitor<TMap> visitor) => visitor.Concat(this);
}
