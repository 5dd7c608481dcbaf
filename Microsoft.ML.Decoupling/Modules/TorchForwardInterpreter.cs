using Microsoft.ML.Decoupling.Native;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// The network's TorchSharp forward pass over its program (see <see cref="DecoupledNetwork.forward"/>). Tensors belong to
/// the caller's dispose scope.
/// </summary>
internal sealed class TorchForwardInterpreter : StepInterpreter<Tensor>
{
    private readonly bool _training;
    private readonly Generator? _gateNoise;
    private readonly DecoupledForwardResult.Recorder _record;

    /// <summary>GAP of the gated feature maps, known from their gates' responses (see <see cref="ConvolutionUnit.Forward"/>).</summary>
    private readonly Tensor?[] _pooled;

    public TorchForwardInterpreter(NetworkProgram program, bool training, Generator? gateNoise, DecoupledForwardResult.Recorder record)
        : base(program)
    {
        _training = training;
        _gateNoise = gateNoise;
        _record = record;
        _pooled = new Tensor?[program.Maps.Count];
    }

    public override Tensor Convolution(ConvolutionStep step) =>
        step.Unit.Forward(this[step.Input], _pooled[step.Input], _training, _gateNoise, _record, out _pooled[step.Output]);

    public override Tensor MaxPool(MaxPoolStep step) => nn.functional.max_pool2d(this[step.Input], step.KernelSize, step.Stride, step.Padding);

    public override Tensor ResidualAdd(ResidualAddStep step) => nn.functional.relu(RootedScalars.Sum(this[step.Main], this[step.Shortcut]), inplace: true);

    public override Tensor ZeroPadShortcut(ZeroPadShortcutStep step)
    {
        var subsampled = this[step.Input].index(TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, step.Stride), TensorIndex.Slice(null, null, step.Stride));
        return nn.functional.pad(subsampled, new long[] { 0, 0, 0, 0, step.PadChannels, step.PadChannels });
    }

    public override Tensor Concat(ConcatStep step) => cat(step.Inputs.Select(i => this[i]).ToArray(), 1);
}
