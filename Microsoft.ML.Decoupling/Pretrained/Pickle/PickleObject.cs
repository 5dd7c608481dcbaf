namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>
/// An object of a class the reader does not model (an argparse namespace, a numpy scalar, a pickled module …), kept as
/// its class and arguments so that a checkpoint holding one can still be read for its state dictionary.
/// </summary>
internal sealed class PickleObject(PickleGlobal type, object?[] arguments)
{
    public PickleGlobal Type { get; } = type;

    public object?[] Arguments { get; } = arguments;

    /// <summary>What a BUILD opcode set (the object's <c>__setstate__</c> argument), if any.</summary>
    public object? State { get; set; }

    public override string ToString() => $"an object of class '{Type}'";
}
