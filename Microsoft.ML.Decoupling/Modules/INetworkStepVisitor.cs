namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// An interpreter of a <see cref="NetworkProgram"/>: one method per kind of <see cref="NetworkStep"/>, each returning the
/// step's output feature map in the interpreter's own representation (a tensor, an ONNX value name, a sparse map, …).
/// Run one with <see cref="StepInterpreter{TMap}"/>.
/// </summary>
/// <typeparam name="TMap">What the interpreter holds for each feature map.</typeparam>
internal interface INetworkStepVisitor<TMap>
{
    TMap Convolution(ConvolutionStep step);

    TMap MaxPool(MaxPoolStep step);

    TMap ResidualAdd(ResidualAddStep step);

    TMap ZeroPadShortcut(ZeroPadShortcutStep step);

    TMap Concat(ConcatStep step);
}
