namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// One step of a network's forward program. Steps read and write numbered feature maps (0 is the normalised input);
/// the network's forward pass and the ONNX exporter both interpret the same program, so they cannot drift apart.
/// </summary>
internal abstract record NetworkStep(int Output);

/// <summary>Output = unit(Input): conv, BatchNorm, optional ReLU, optional gate and mask.</summary>
internal sealed record ConvolutionStep(int Input, int Output, ConvolutionUnit Unit) : NetworkStep(Output);

/// <summary>Output = MaxPool(Input) with a square kernel.</summary>
internal sealed record MaxPoolStep(int Input, int Output, int KernelSize, int Stride, int Padding) : NetworkStep(Output);

/// <summary>Output = ReLU(Main + Shortcut): the end of a residual block.</summary>
internal sealed record ResidualAddStep(int Main, int Shortcut, int Output) : NetworkStep(Output);

/// <summary>
/// He et al.'s option-A shortcut: Output = Input[:, :, ::Stride, ::Stride] with <paramref name="PadChannels"/> zero
/// channels added before and after (no parameters).
/// </summary>
internal sealed record ZeroPadShortcutStep(int Input, int Output, int Stride, int PadChannels) : NetworkStep(Output);

/// <summary>Output = the inputs concatenated along the channels (inception blocks).</summary>
internal sealed record ConcatStep(IReadOnlyList<int> Inputs, int Output) : NetworkStep(Output);
