using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Compaction;

/// <summary>
/// Builds the compact network of a <see cref="CompactionPlan"/>: each conv keeps the planned filters and only the input
/// channels that its input feature map kept (through max-pools and concatenations), each gate only its kept filters'
/// outputs and its kept inputs, and the head only its kept inputs. Maps read by a residual sum or an option-A shortcut
/// keep every channel: a conv feeding one computes its kept filters and scatters them back among zero channels.
/// </summary>
internal static class NetworkCompactor
{
    public static DecoupledNetwork Build(DecoupledNetwork network, CompactionPlan plan)
    {
        // No dispose scope: the compact modules' parameters are created here and must outlive this call; the few
        // temporaries are disposed where they are made.
        using var noGrad = no_grad();
        var program = network.Program;
        var description = network.Description;
        var names = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, module) in network.named_modules())
        {
            names[module] = name;
        }

        var compactor = new Compactor(network, plan, names);
        var output = compactor.Run(new CompactMap(Range(network.Channels), [new ChannelSegment(network.Channels, -1)]));

        long[] features = output.Kept;
        var head = SliceLinear(program.Head, null, features);
        compactor.Root.AddAt(names[program.Head], head);

        var layout = new CalculationPathLayout(compactor.Layers);
        var compactDescription = new NetworkDescription(compactor.Convolutions, layout, features.Length, description.Classes);
        var compactProgram = new NetworkProgram(compactor.Steps, compactor.Units, compactor.Maps(), program.Output, head, []);
        var children = compactor.Root.named_children().Select(c => (c.name, c.module)).ToList();
        var result = new DecoupledNetwork(network.Architecture, network.Input, network.Classes, network.IsGated, network.Normalization, children, compactProgram, compactDescription)
        {
            IsCompact = true,
            GateReduction = network.GateReduction,
            ConvolutionBias = network.ConvolutionBias,
        };
        result.to(network.Device);
        result.eval();
        return result;
    }

    private static Conv2d SliceConvolution(Conv2d conv, long[] filters, long[] inputs, int stride, int padding)
    {
        long kernel = conv.weight!.shape[2];
        var compact = nn.Conv2d(inputs.Length, filters.Length, kernel, stride: stride, padding: padding, bias: conv.bias is not null, device: META);
        // The setters dispose the meta tensors they replace.
        using var rows = Select(conv.weight, 0, filters);
        compact.weight = Parameter(Select(rows, 1, inputs));
        if (conv.bias is not null)
        {
            compact.bias = Parameter(Select(conv.bias, 0, filters));
        }

        return compact;
    }

    private static BatchNorm2d SliceNorm(BatchNorm2d norm, long[] filters)
    {
        var compact = nn.BatchNorm2d(filters.Length, eps: norm.eps, momentum: norm.momentum ?? 0.1);
        CopySelected(compact.weight!, norm.weight!, 0, filters);
        CopySelected(compact.bias!, norm.bias!, 0, filters);
        CopySelected(compact.running_mean!, norm.running_mean!, 0, filters);
        CopySelected(compact.running_var!, norm.running_var!, 0, filters);
        return compact;
    }

    /// <summary>The gate of the kept filters reading the kept inputs; its hidden width stays the original one.</summary>
    private static ArchitectureControllingModule SliceGate(ArchitectureControllingModule gate, long[] inputs, long[] filters)
    {
        // A generator of its own, so that building draws nothing from torch's process-wide one (the values are overwritten).
        using var generator = SeededGenerator.Create(0);
        var compact = new ArchitectureControllingModule(gate.GetName(), inputs.Length, filters.Length, generator, gate.HiddenSize);
        CopySelected(compact.Squeeze.weight!, gate.Squeeze.weight!, 1, inputs);
        compact.Squeeze.bias!.copy_(gate.Squeeze.bias!);
        CopySelected(compact.Excite.weight!, gate.Excite.weight!, 0, filters);
        CopySelected(compact.Excite.bias!, gate.Excite.bias!, 0, filters);
        return compact;
    }

    /// <summary>A linear layer keeping the given outputs (null: all) and inputs.</summary>
    private static Linear SliceLinear(Linear linear, long[]? outputs, long[] inputs)
    {
        var weight = Select(linear.weight!, 1, inputs);
        var bias = linear.bias is null ? null : outputs is null ? linear.bias.detach().clone() : Select(linear.bias, 0, outputs);
        if (outputs is not null)
        {
            using var all = weight;
            weight = Select(all, 0, outputs);
        }

        return nn.Linear(Parameter(weight), bias is null ? null : Parameter(bias));
    }

    /// <summary>A detached copy of <paramref name="source"/> keeping <paramref name="indices"/> along <paramref name="dimension"/>.</summary>
    private static Tensor Select(Tensor source, long dimension, long[] indices)
    {
        using var index = tensor(indices, device: source.device);
        using var detached = source.detach();
        return detached.index_select(dimension, index);
    }

    private static void CopySelected(Tensor target, Tensor source, long dimension, long[] indices)
    {
        using var selected = Select(source, dimension, indices);
        target.copy_(selected);
    }

    /// <summary>A parameter that takes over the handle of <paramref name="values"/>.</summary>
    private static TorchSharp.Modules.Parameter Parameter(Tensor values) => nn.Parameter(values);

    /// <summary>
    /// Walks the program, keeping for each feature map the original channels it still holds (in the original numbering)
    /// and its gate segments, and builds the compact steps, units and geometry on the way.
    /// </summary>
    private sealed class Compactor : StepInterpreter<CompactMap>
    {
        private readonly DecoupledNetwork _network;
        private readonly CompactionPlan _plan;
        private readonly Dictionary<nn.Module, string> _names;
        private readonly Dictionary<string, ConvLayerGeometry> _geometry;

        public Compactor(DecoupledNetwork network, CompactionPlan plan, Dictionary<nn.Module, string> names)
            : base(network.Program)
        {
            _network = network;
            _plan = plan;
            _names = names;
            _geometry = network.Description.Convolutions.ToDictionary(c => c.Name);
            Layers = new GatedLayerInfo[network.Description.PathLayout.Layers.Count];
        }

        public ModuleNode Root { get; } = new("root");

        public List<NetworkStep> Steps { get; } = [];

        public List<ConvolutionUnit> Units { get; } = [];

        public List<ConvLayerGeometry> Convolutions { get; } = [];

        public GatedLayerInfo[] Layers { get; }

        /// <summary>The compact program's feature maps (after <see cref="StepInterpreter{TMap}.Run"/>).</summary>
        public IReadOnlyList<FeatureMapInfo> Maps() =>
            Computed.Select((map, i) => Program.Maps[i] with { Channels = map.Kept.Length, Segments = map.Segments }).ToList();

        public override CompactMap Convolution(ConvolutionStep step)
        {
            var unit = step.Unit;
            var original = _geometry[unit.Name];
            long[] inputs = this[step.Input].Kept;
            CompactPathBits? bits = unit.GateIndex >= 0 ? _plan.Layers[unit.GateIndex] : null;
            int originalFilters = Program.Maps[step.Output].Channels;
            long[] filters = bits?.Kept ?? Range(originalFilters);
            bool gated = unit.Gate is not null && bits is { GateDropped: false };
            bool scatter = Program.Maps[step.Output].KeepsEveryChannel && filters.Length < originalFilters;

            var conv = SliceConvolution(unit.Convolution, filters, inputs, unit.Stride, unit.Padding);
            var norm = SliceNorm(unit.Norm, filters);
            Root.AddAt(unit.Name, conv);
            Root.AddAt(_names[unit.Norm], norm);
            ArchitectureControllingModule? gate = null;
            if (gated)
            {
                gate = SliceGate(unit.Gate!, inputs, filters);
                Root.AddAt(_names[unit.Gate!], gate);
            }

            bool identity = bits is null || (!bits.GateDropped && bits.Kept.Length == bits.Filters);
            var compactUnit = new ConvolutionUnit(unit.Name, conv, norm, gate, unit.GateIndex, unit.Relu, unit.Stride, unit.Padding)
            {
                PathBits = identity ? null : bits,
                Scatter = scatter ? ChannelScatter.Of(originalFilters, filters) : null,
            };
            Units.Add(compactUnit);
            Steps.Add(step with { Unit = compactUnit });

            int gateIndex = gated ? unit.GateIndex : -1;
            var compact = new ConvLayerGeometry(unit.Name, inputs.Length, filters.Length, original.KernelSize, original.OutputHeight, original.OutputWidth, gateIndex, this[step.Input].Segments);
            Convolutions.Add(compact);
            if (unit.GateIndex >= 0)
            {
                var layer = _network.Description.PathLayout.Layers[unit.GateIndex];
                Layers[unit.GateIndex] = layer with
                {
                    DenseFlops = compact.MultiplyAccumulates(inputs.Length, filters.Length),
                    GateFlops = gate?.MultiplyAccumulates ?? 0,
                };
            }

            return scatter
                ? new CompactMap(Range(originalFilters), [new ChannelSegment(originalFilters, -1)])
                : new CompactMap(filters, [new ChannelSegment(filters.Length, gateIndex)]);
        }

        public override CompactMap MaxPool(MaxPoolStep step)
        {
            Steps.Add(step);
            return this[step.Input];
        }

        public override CompactMap ResidualAdd(ResidualAddStep step)
        {
            Steps.Add(step);
            long[] kept = this[step.Main].Kept;
            return new CompactMap(kept, [new ChannelSegment(kept.Length, -1)]);
        }

        public override CompactMap ZeroPadShortcut(ZeroPadShortcutStep step)
        {
            Steps.Add(step);
            int channels = this[step.Input].Kept.Length + (2 * step.PadChannels);
            return new CompactMap(Range(channels), [new ChannelSegment(channels, -1)]);
        }

        public override CompactMap Concat(ConcatStep step)
        {
            Steps.Add(step);
            // Channels are numbered in the original concatenation, whose inputs are each the original width.
            var channels = new List<long>();
            long offset = 0;
            foreach (int input in step.Inputs)
            {
                channels.AddRange(this[input].Kept.Select(c => offset + c));
                offset += Program.Maps[input].Channels;
            }

            return new CompactMap(channels.ToArray(), step.Inputs.SelectMany(i => this[i].Segments).ToList());
        }
    }

    /// <summary>A feature map of the compact network: the original channels it holds and its gate segments.</summary>
    private sealed record CompactMap(long[] Kept, IReadOnlyList<ChannelSegment> Segments);

    private static long[] Range(int count) => Enumerable.Range(0, count).Select(i => (long)i).ToArray();
}
