using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// conv(3→4, 3×3) → BatchNorm2d → ReLU → flatten → linear(144→classes) on 6×6 inputs, with keys conv.*, bn.*, fc.*.
/// The gated variant adds two entries a dense network lacks: a per-channel gate parameter (used in forward) and a
/// path classifier module (unused), standing in for the decoupled network's gates and per-layer path classifiers.
/// </summary>
internal sealed class SmallConvNet : Module<Tensor, Tensor>
{
    public const int Side = 6;
    private readonly Conv2d _conv;
    private readonly BatchNorm2d _bn;
    private readonly Linear _fc;
    private readonly Parameter? _gate;
    private readonly Linear? _pathClassifier;

    /// <summary>Every draw of this network (initialisation, statistics inputs): a generator of its own, not torch's process-wide one.</summary>
    private readonly Generator _draws;

    public SmallConvNet(int seed, int classes = 5, bool gated = false) : base(nameof(SmallConvNet))
    {
        _draws = SeededGenerator.Create(seed);
        _conv = ParameterInitialization.Conv2d(3, 4, 3, stride: 1, padding: 1, bias: true, _draws);
        _bn = BatchNorm2d(4);
        _fc = ParameterInitialization.Linear(4 * Side * Side, classes, bias: true, _draws);
        register_module("conv", _conv);
        register_module("bn", _bn);
        register_module("fc", _fc);
        if (gated)
        {
            _gate = Parameter(randn([4], generator: _draws));
            _pathClassifier = ParameterInitialization.Linear(4, classes, bias: true, _draws);
            register_parameter("gate", _gate);
            register_module("path_classifier", _pathClassifier);
        }
    }

    /// <summary>Runs a few training-mode passes so BatchNorm's running statistics and batch count are non-trivial.</summary>
    public SmallConvNet WithTrainedStatistics(int passes = 3)
    {
        train();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < passes; i++)
        {
            forward((randn([8, 3, Side, Side], generator: _draws) * 2) + 0.5);
        }

        return this;
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = _conv.forward(input);
        if (_gate is not null)
        {
            x = x * _gate.sigmoid().view(1, -1, 1, 1);
        }

        return _fc.forward(_bn.forward(x).relu().flatten(1)).MoveToOuterDisposeScope();
    }

    /// <summary>Copies of every state_dict entry, detached from the module, by key.</summary>
    public Dictionary<string, Tensor> Snapshot() =>
        state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.detach().clone());

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _conv.Dispose();
            _bn.Dispose();
            _fc.Dispose();
            _gate?.Dispose();
            _pathClassifier?.Dispose();
            _draws.Dispose();
        }

        base.Dispose(disposing);
    }
}
