using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// The architecture controlling module of one gated layer (paper Eq. 3): g = W2·ReLU(W1·GAP(X)), computed from the
/// layer's input X. Returns the gate logits g, one per output filter.
/// </summary>
internal sealed class ArchitectureControllingModule : nn.Module<Tensor, Tensor>
{
    private readonly Linear squeeze;
    private readonly Linear excite;

    /// <summary>Creates the module for a layer with <paramref name="inputChannels"/> inputs and <paramref name="filters"/> outputs.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="inputChannels">C, channels of the layer input.</param>
    /// <param name="filters">N, filters of the layer.</param>
    /// <param name="reduction">γ, the hidden size is max(1, C/γ).</param>
    public ArchitectureControllingModule(string name, int inputChannels, int filters, int reduction)
        : this(name, inputChannels, filters, reduction, null)
    {
    }

    /// <summary>As the public constructor, W2 drawn from <paramref name="generator"/> (null: torch's process-wide generator).</summary>
    internal ArchitectureControllingModule(string name, int inputChannels, int filters, int reduction, Generator? generator)
        : this(name, inputChannels, filters, generator, hiddenSize: Math.Max(1, inputChannels / reduction))
    {
    }

    /// <summary>A module with an explicit hidden width (a compact network's gate keeps its original width).</summary>
    internal ArchitectureControllingModule(string name, int inputChannels, int filters, Generator? generator, int hiddenSize)
        : base(name)
    {
        HiddenSize = hiddenSize;
        InputChannels = inputChannels;
        Filters = filters;
        // Drawn as nn.Linear draws, W1 and the biases too although they are overwritten below, so that a seed gives the
        // W2 that torch.manual_seed(seed) and nn.Linear give.
        squeeze = ParameterInitialization.Linear(inputChannels, HiddenSize, bias: true, generator);
        excite = ParameterInitialization.Linear(HiddenSize, filters, bias: true, generator);
        // Initialisation of the authors' release (DESIGN.md §2): W1 = 0 and both biases = 1, W2 keeps its default
        // (uniform) initialisation. The gates start independent of the input with g = 1 + Σ W2[n,:], whose standard
        // deviation is about 0.58 whatever the width, so most (about 96%) start open, not all. W2 must stay random:
        // with W1 = W2 = 0 every hidden unit gets the same gradient and the module never becomes input-dependent
        // (measured: shapes accuracy after 2 epochs fell from 0.996 to 0.71). The paper drops the biases "for
        // simplicity"; we keep them, as the release does.
        using (no_grad())
        {
            squeeze.weight!.zero_();
            squeeze.bias!.fill_(Native.RootedScalars.One);
            excite.bias!.fill_(Native.RootedScalars.One);
        }

        RegisterComponents();
    }

    /// <summary>C, the number of input channels.</summary>
    public int InputChannels { get; }

    /// <summary>C/γ, the hidden width.</summary>
    public int HiddenSize { get; }

    /// <summary>N, the number of gated filters.</summary>
    public int Filters { get; }

    /// <summary>Multiply-accumulates of the two fully connected layers for one image.</summary>
    public long MultiplyAccumulates => ((long)InputChannels * HiddenSize) + ((long)HiddenSize * Filters);

    internal Linear Squeeze => squeeze;

    internal Linear Excite => excite;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var pooled = input.mean(new long[] { 2, 3 });
        return FromPooled(pooled);
    }

    /// <summary>The gate logits from the already pooled input GAP(X) [B, C].</summary>
    public Tensor FromPooled(Tensor pooled)
    {
        using var hidden = squeeze.forward(pooled);
        using var activated = nn.functional.relu(hidden);
        return excite.forward(activated);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            squeeze.Dispose();
            excite.Dispose();
        }

        base.Dispose(disposing);
    }
}
