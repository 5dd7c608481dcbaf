using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// A plain VGG-style CNN (conv-BN-ReLU blocks, 2×2 max-pools, global average pooling, linear head) whose convs,
/// except the first and the last (paper §4.1), carry an <see cref="ArchitectureControllingModule"/>. Built with
/// <c>gated: false</c> it is the dense baseline: the same convs, BatchNorms and head, without gates.
/// </summary>
public sealed class DecoupledVggNetwork : nn.Module<Tensor, DecoupledForwardResult>
{
    private readonly ModuleList<Conv2d> convs;
    private readonly ModuleList<BatchNorm2d> norms;
    private readonly ModuleList<ArchitectureControllingModule> gates;
    private readonly ModuleList<Linear> pathClassifiers;
    private readonly Linear head;
    private readonly int[] gateOfConv;

    /// <summary>Builds the network.</summary>
    /// <param name="layout">Conv widths and pools.</param>
    /// <param name="channels">Input channels C.</param>
    /// <param name="height">Input height H.</param>
    /// <param name="width">Input width W.</param>
    /// <param name="classes">Number of classes K.</param>
    /// <param name="gated">Whether to add gates (false: the dense baseline).</param>
    /// <param name="gateReduction">γ of the gates' hidden layer.</param>
    public DecoupledVggNetwork(VggLayout layout, int channels, int height, int width, int classes, bool gated = true, int gateReduction = 4)
        : base(nameof(DecoupledVggNetwork))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(gateReduction, 1);
        Layout = layout;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
        IsGated = gated;

        convs = new ModuleList<Conv2d>();
        norms = new ModuleList<BatchNorm2d>();
        gates = new ModuleList<ArchitectureControllingModule>();
        pathClassifiers = new ModuleList<Linear>();
        gateOfConv = new int[layout.ConvCount];

        var geometry = new List<ConvLayerGeometry>();
        var gatedLayers = new List<GatedLayerInfo>();
        int inputs = channels, h = height, w = width, conv = 0, offset = 0, inputGate = -1;
        foreach (int item in layout.Items)
        {
            if (item == 0)
            {
                if (h < 2 || w < 2)
                {
                    throw new ArgumentException($"Layout \"{layout.Text}\" pools a {h}×{w} feature map; the input {height}×{width} is too small.", nameof(layout));
                }

                h /= 2;
                w /= 2;
                continue;
            }

            string name = $"conv{conv}";
            convs.Add(nn.Conv2d(inputs, item, kernel_size: 3, padding: 1, bias: false));
            norms.Add(nn.BatchNorm2d(item));
            bool isGated = gated && conv > 0 && conv < layout.ConvCount - 1;
            int gateIndex = -1;
            if (isGated)
            {
                gateIndex = gates.Count;
                var acm = new ArchitectureControllingModule($"gate{gateIndex}", inputs, item, gateReduction);
                gates.Add(acm);
                // One classifier per gated layer for Lmi (Eq. 9); the authors' release has no bias here.
                pathClassifiers.Add(nn.Linear(item, classes, hasBias: false));
                var layer = new ConvLayerGeometry(name, inputs, item, 3, h, w, gateIndex, inputGate);
                gatedLayers.Add(new GatedLayerInfo(name, item, offset, layer.MultiplyAccumulates(inputs, item), acm.MultiplyAccumulates));
                offset += item;
            }

            geometry.Add(new ConvLayerGeometry(name, inputs, item, 3, h, w, gateIndex, inputGate));
            gateOfConv[conv] = gateIndex;
            inputGate = gateIndex;
            inputs = item;
            conv++;
        }

        head = nn.Linear(inputs, classes);
        Description = new NetworkDescription(geometry, new CalculationPathLayout(gatedLayers), inputs, classes);
        RegisterComponents();
    }

    /// <summary>The conv/pool layout.</summary>
    public VggLayout Layout { get; }

    /// <summary>Input channels.</summary>
    public int Channels { get; }

    /// <summary>Input height.</summary>
    public int Height { get; }

    /// <summary>Input width.</summary>
    public int Width { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Whether the network carries gates.</summary>
    public bool IsGated { get; }

    /// <summary>Geometry, gated layers and head: what FLOPs counting and the ONNX export need.</summary>
    public NetworkDescription Description { get; }

    internal IList<Conv2d> Convolutions => convs;

    internal IList<BatchNorm2d> Norms => norms;

    internal IList<ArchitectureControllingModule> Gates => gates;

    internal IList<Linear> PathClassifiers => pathClassifiers;

    internal Linear Head => head;

    internal int GateOfConv(int conv) => gateOfConv[conv];

    /// <summary>Runs the network on [B, C·H·W] or [B, C, H, W] images in [0, 1].</summary>
    public override DecoupledForwardResult forward(Tensor input)
    {
        var x = input.dim() == 2 ? input.view(input.shape[0], Channels, Height, Width) : input;
        var gateValues = new List<Tensor>();
        var responses = new List<Tensor>();
        int conv = 0;
        foreach (int item in Layout.Items)
        {
            if (item == 0)
            {
                x = nn.functional.max_pool2d(x, 2);
                continue;
            }

            int gate = gateOfConv[conv];
            // The ACM reads the layer INPUT (paper Eq. 3), before the conv runs.
            Tensor? logits = gate >= 0 ? gates[gate].forward(x) : null;
            var y = nn.functional.relu(norms[conv].forward(convs[conv].forward(x)));
            if (logits is not null)
            {
                var z = training ? SemanticHashing.Train(logits) : SemanticHashing.Evaluate(logits);
                gateValues.Add(z);
                // y = GAP(Y) before masking: the filter's own response, which Lkl compares with its gate.
                responses.Add(y.mean(new long[] { 2, 3 }));
                y = y * z.unsqueeze(-1).unsqueeze(-1);
            }

            x = y;
            conv++;
        }

        var logitsOut = head.forward(x.mean(new long[] { 2, 3 }));
        return new DecoupledForwardResult(logitsOut, gateValues, responses);
    }

    /// <summary>Applies the per-layer path classifiers W_cla^l to the gates (for Lmi).</summary>
    internal IReadOnlyList<Tensor> ClassifyPaths(IReadOnlyList<Tensor> gateValues) =>
        gateValues.Select((z, l) => pathClassifiers[l].forward(z)).ToList();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            convs.Dispose();
            norms.Dispose();
            gates.Dispose();
            pathClassifiers.Dispose();
            head.Dispose();
        }

        base.Dispose(disposing);
    }
}
