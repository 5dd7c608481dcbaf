using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>What a forward pass of a decoupled network produces. The tensors belong to the caller's dispose scope.</summary>
/// <param name="Logits">Class logits [B, K].</param>
/// <param name="Gates">Per gated layer, the gate values z [B, N] (0/1 at evaluation; mixed hard/soft in training).</param>
/// <param name="Responses">Per gated layer, GAP of the layer output before masking, y = GAP(Y) [B, N] (for Lkl).</param>
/// <param name="GateLogits">Per gated layer, the gate logits g [B, N] the gates were made from (at evaluation z = 1(g &gt; 0)).</param>
public sealed record DecoupledForwardResult(Tensor Logits, IReadOnlyList<Tensor> Gates, IReadOnlyList<Tensor> Responses, IReadOnlyList<Tensor> GateLogits)
{
    /// <summary>Collects what the gated layers of one forward pass produce, in path order.</summary>
    internal sealed class Recorder
    {
        /// <param name="captureUnitResponses">Also record GAP(Y) of every conv unit, gated or not (for the dense-path
        /// features of a network without gates).</param>
        public Recorder(bool captureUnitResponses = false) => CaptureUnitResponses = captureUnitResponses;

        public bool CaptureUnitResponses { get; }

        /// <summary>Per conv unit (by name, in execution order), GAP(Y) before masking; filled only when <see cref="CaptureUnitResponses"/>.</summary>
        public List<(string Name, Tensor Response)> UnitResponses { get; } = [];

        /// <summary>The penultimate features: GAP of the last feature map, the head's input [B, C].</summary>
        public Tensor? Features { get; set; }

        /// <summary>When not null, receives each gated layer's activation maps Y before masking [B, N, h, w] (for the analyses).</summary>
        public List<Tensor>? Maps { get; init; }

        public List<Tensor> GateLogits { get; } = [];

        public List<Tensor> Gates { get; } = [];

        public List<Tensor> Responses { get; } = [];

        public void Add(Tensor logits, Tensor gate, Tensor response)
        {
            GateLogits.Add(logits);
            Gates.Add(gate);
            Responses.Add(response);
        }

        public DecoupledForwardResult Result(Tensor logits) => new(logits, Gates, Responses, GateLogits);
    }

    /// <summary>The calculation path: all gates concatenated in forward order [B, PathLength].</summary>
    public Tensor Path() => Gates.Count == 0 ? zeros(new long[] { Logits.shape[0], 0 }) : cat(Gates.ToArray(), 1);
}
