using Microsoft.ML.Decoupling.Analysis;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// Builds a <see cref="DecoupledNetwork"/> step by step: creates each conv, BatchNorm and gate under its PyTorch name,
/// tracks the shape and gate masks of every feature map, and collects the geometry that FLOPs counting and the ONNX
/// export need. Architectures (see <see cref="NetworkArchitecture"/>) are written against this class only.
/// </summary>
internal sealed class NetworkBuilder
{
    /// <summary>Top-level name of the gates (<c>gates.&lt;layer&gt;.squeeze.weight</c> …); absent from dense state dicts.</summary>
    public const string GatesModuleName = "gates";

    /// <summary>Top-level name of the per-layer path classifiers W_cla (Lmi); absent from dense state dicts.</summary>
    public const string PathClassifiersModuleName = "path_classifiers";

    private readonly ModuleNode _root = new("root");
    private readonly ModuleNode _gates = new(GatesModuleName);
    private readonly ModuleNode _pathClassifiers = new(PathClassifiersModuleName);
    private readonly List<FeatureMap> _maps = new();
    private readonly List<NetworkStep> _steps = new();
    private readonly List<ConvolutionUnit> _units = new();
    private readonly List<ConvLayerGeometry> _geometry = new();
    private readonly List<GatedLayerInfo> _gatedLayers = new();
    private readonly List<Linear> _classifiers = new();
    private readonly int _classes;
    private readonly int _gateReduction;
    private bool _convolutionBias;
    private readonly Generator? _generator;
    private int _pathOffset;

    /// <summary>Starts a network; <paramref name="generator"/> draws the parameters (null: torch's process-wide generator).</summary>
    public NetworkBuilder(ImageShape input, int classes, bool gated, int gateReduction, Generator? generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(gateReduction, 1);
        Input = input;
        _classes = classes;
        IsGated = gated;
        _gateReduction = gateReduction;
        _generator = generator;
        _maps.Add(new FeatureMap(input.Channels, input.Height, input.Width, [new ChannelSegment(input.Channels, -1)], []));
    }

    public ImageShape Input { get; }

    public bool IsGated { get; }

    /// <summary>The feature map of the (normalised) input image.</summary>
    public static int Image => NetworkProgram.Image;

    /// <summary>Channels of feature map <paramref name="map"/>.</summary>
    public int ChannelsOf(int map) => _maps[map].Channels;

    /// <summary>
    /// Adds conv (no bias unless <paramref name="bias"/>) → BatchNorm → optional ReLU, reading <paramref name="input"/>.
    /// The conv is registered as <paramref name="convName"/> and the BatchNorm as <paramref name="normName"/>; a gate is
    /// added when the network is gated and <paramref name="gate"/> is true.
    /// </summary>
    public int Conv(int input, string convName, string normName, int filters, int kernelSize, int stride = 1, int padding = -1, bool relu = true, bool gate = false, bool bias = false)
    {
        var source = _maps[input];
        if (padding < 0)
        {
            padding = kernelSize / 2;
        }

        int height = OutputSize(source.Height, kernelSize, stride, padding);
        int width = OutputSize(source.Width, kernelSize, stride, padding);
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"Conv '{convName}' ({kernelSize}×{kernelSize}, stride {stride}) gets a {source.Height}×{source.Width} feature map; the input {Input} is too small for this architecture.");
        }

        var conv = ParameterInitialization.Conv2d(source.Channels, filters, kernelSize, stride, padding, bias, _generator);
        _convolutionBias |= bias;
        var norm = nn.BatchNorm2d(filters); // weight 1, bias 0: nothing random
        Register(convName, conv);
        Register(normName, norm);

        ArchitectureControllingModule? acm = null;
        int gateIndex = -1;
        if (IsGated && gate)
        {
            gateIndex = _gatedLayers.Count;
            string key = convName.Replace('.', '_');
            acm = new ArchitectureControllingModule(key, source.Channels, filters, _gateReduction, _generator);
            _gates.Add(key, acm);
            // One classifier per gated layer for Lmi (Eq. 9); the authors' release has no bias here.
            var classifier = ParameterInitialization.Linear(filters, _classes, bias: false, _generator);
            _pathClassifiers.Add(key, classifier);
            _classifiers.Add(classifier);
        }

        var geometry = new ConvLayerGeometry(convName, source.Channels, filters, kernelSize, height, width, gateIndex, source.Segments);
        _geometry.Add(geometry);
        if (acm is not null)
        {
            _gatedLayers.Add(new GatedLayerInfo(convName, filters, _pathOffset, geometry.MultiplyAccumulates(source.Channels, filters), acm.MultiplyAccumulates));
            _pathOffset += filters;
        }

        var unit = new ConvolutionUnit(convName, conv, norm, acm, gateIndex, relu, stride, padding);
        _units.Add(unit);
        return AddStep(new FeatureMap(filters, height, width, [new ChannelSegment(filters, gateIndex)], []), output => new ConvolutionStep(input, output, unit));
    }

    /// <summary>Adds a square max-pool (floor mode).</summary>
    public int MaxPool(int input, int kernelSize, int stride, int padding = 0)
    {
        var source = _maps[input];
        int height = OutputSize(source.Height, kernelSize, stride, padding);
        int width = OutputSize(source.Width, kernelSize, stride, padding);
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"A {kernelSize}×{kernelSize} max-pool gets a {source.Height}×{source.Width} feature map; the input {Input} is too small for this architecture.");
        }

        return AddStep(source with { Height = height, Width = width, ChannelSources = [input], KeepsEveryChannel = false }, output => new MaxPoolStep(input, output, kernelSize, stride, padding));
    }

    /// <summary>Adds ReLU(main + shortcut); the sum is never masked.</summary>
    public int ResidualAdd(int main, int shortcut)
    {
        var a = _maps[main];
        var b = _maps[shortcut];
        if (a.Channels != b.Channels || a.Height != b.Height || a.Width != b.Width)
        {
            throw new InvalidOperationException($"Residual add of {a.Channels}×{a.Height}×{a.Width} and {b.Channels}×{b.Height}×{b.Width}.");
        }

        KeepEveryChannel(main);
        KeepEveryChannel(shortcut);
        return AddStep(new FeatureMap(a.Channels, a.Height, a.Width, [new ChannelSegment(a.Channels, -1)], []), output => new ResidualAddStep(main, shortcut, output));
    }

    /// <summary>Adds He et al.'s option-A shortcut to <paramref name="channels"/> channels (stride-2 subsampling, zero channels on both sides).</summary>
    public int ZeroPadShortcut(int input, int stride, int channels)
    {
        var source = _maps[input];
        int pad = (channels - source.Channels) / 2;
        if (pad * 2 != channels - source.Channels || pad < 0)
        {
            throw new InvalidOperationException($"Option-A shortcut from {source.Channels} to {channels} channels.");
        }

        int height = ((source.Height - 1) / stride) + 1;
        int width = ((source.Width - 1) / stride) + 1;
        KeepEveryChannel(input);
        return AddStep(new FeatureMap(channels, height, width, [new ChannelSegment(channels, -1)], []), output => new ZeroPadShortcutStep(input, output, stride, pad));
    }

    /// <summary>Concatenates feature maps of the same size along the channels; their masks travel with their channels.</summary>
    public int Concat(params int[] inputs)
    {
        var first = _maps[inputs[0]];
        if (inputs.Any(i => _maps[i].Height != first.Height || _maps[i].Width != first.Width))
        {
            throw new InvalidOperationException("Concatenated feature maps differ in size.");
        }

        var segments = inputs.SelectMany(i => _maps[i].Segments).ToList();
        return AddStep(new FeatureMap(inputs.Sum(i => _maps[i].Channels), first.Height, first.Width, segments, inputs), output => new ConcatStep(inputs, output));
    }

    /// <summary>Adds global average pooling and the linear classifier <paramref name="headName"/>, and creates the network.</summary>
    public DecoupledNetwork Build(string architecture, int output, string headName, InputNormalization? normalization)
    {
        var final = _maps[output];
        var head = ParameterInitialization.Linear(final.Channels, _classes, bias: true, _generator);
        Register(headName, head);
        if (_gatedLayers.Count > 0)
        {
            _root.Add(GatesModuleName, _gates);
            _root.Add(PathClassifiersModuleName, _pathClassifiers);
        }
        else
        {
            _gates.Dispose();
            _pathClassifiers.Dispose();
        }

        var description = new NetworkDescription(_geometry, new CalculationPathLayout(_gatedLayers), final.Channels, _classes);
        var children = _root.named_children().Select(c => (c.name, c.module)).ToList();
        var maps = _maps.Select(m => new FeatureMapInfo(m.Channels, m.Segments, m.KeepsEveryChannel)).ToList();
        var program = new NetworkProgram(_steps, _units, maps, output, head, _classifiers);
        return new DecoupledNetwork(architecture, Input, _classes, IsGated, normalization, children, program, description)
        {
            GateReduction = _gateReduction,
            ConvolutionBias = _convolutionBias,
        };
    }

    /// <summary>floor((size + 2·padding − kernel) / stride) + 1, or 0 when the kernel does not fit.</summary>
    private static int OutputSize(int size, int kernelSize, int stride, int padding)
    {
        int span = size + (2 * padding) - kernelSize;
        return span < 0 ? 0 : (span / stride) + 1;
    }

    private int AddStep(FeatureMap map, Func<int, NetworkStep> step)
    {
        int output = _maps.Count;
        _maps.Add(map);
        _steps.Add(step(output));
        return output;
    }

    private void Register(string path, nn.Module module) => _root.AddAt(path, module);

    /// <summary>Marks <paramref name="map"/>, and the maps whose channels it carries, as kept whole by compaction.</summary>
    private void KeepEveryChannel(int map)
    {
        if (_maps[map].KeepsEveryChannel)
        {
            return; // and so are its sources
        }

        _maps[map].KeepsEveryChannel = true;
        foreach (int source in _maps[map].ChannelSources)
        {
            KeepEveryChannel(source);
        }
    }

    /// <summary>A feature map while the network is built; <c>ChannelSources</c> are the maps whose channels it carries unchanged (a max-pool's input, a concatenation's inputs).</summary>
    private sealed record FeatureMap(int Channels, int Height, int Width, IReadOnlyList<ChannelSegment> Segments, IReadOnlyList<int> ChannelSources)
    {
        public bool KeepsEveryChannel { get; set; }
    }
}
