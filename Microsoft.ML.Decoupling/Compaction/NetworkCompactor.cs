using Microsoft.ML.Decoupling.Modules;
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

        var geometry = description.Convolutions.ToDictionary(c => c.Name);
        bool[] dense = MapsThatStayDense(program);

        int mapCount = program.FeatureMapCount;
        var kept = new long[mapCount][];
        var segments = new IReadOnlyList<ChannelSegment>[mapCount];
        kept[NetworkBuilder.Image] = Range(network.Channels);
        segments[NetworkBuilder.Image] = [new ChannelSegment(network.Channels, -1)];

        var root = new ModuleNode("root");
        var steps = new List<NetworkStep>();
        var units = new List<ConvolutionUnit>();
        var convolutions = new List<ConvLayerGeometry>();
        var layers = new GatedLayerInfo[description.PathLayout.Layers.Count];
        foreach (var step in program.Steps)
        {
            switch (step)
            {
                case ConvolutionStep s:
                {
                    var unit = s.Unit;
                    var original = geometry[unit.Name];
                    long[] inputs = kept[s.Input];
                    CompactPathBits? bits = unit.GateIndex >= 0 ? plan.Layers[unit.GateIndex] : null;
                    long[] filters = bits?.Kept ?? Range(original.Filters);
                    bool gated = unit.Gate is not null && bits is { GateDropped: false };
                    bool scatter = dense[s.Output] && filters.Length < original.Filters;

                    var conv = SliceConvolution(unit.Convolution, filters, inputs, unit.Stride, unit.Padding);
                    var norm = SliceNorm(unit.Norm, filters);
                    root.AddAt(unit.Name, conv);
                    root.AddAt(names[unit.Norm], norm);
                    ArchitectureControllingModule? gate = null;
                    if (gated)
                    {
                        gate = SliceGate(unit.Gate!, inputs, filters);
                        root.AddAt(names[unit.Gate!], gate);
                    }

                    bool identity = bits is null || (!bits.GateDropped && bits.Kept.Length == bits.Filters);
                    var compactUnit = new ConvolutionUnit(unit.Name, conv, norm, gate, unit.GateIndex, unit.Relu, unit.Stride, unit.Padding)
                    {
                        PathBits = identity ? null : bits,
                        Scatter = scatter ? ChannelScatter.Of(original.Filters, filters) : null,
                    };
                    units.Add(compactUnit);
                    steps.Add(s with { Unit = compactUnit });

                    int gateIndex = gated ? unit.GateIndex : -1;
                    var compact = new ConvLayerGeometry(unit.Name, inputs.Length, filters.Length, original.KernelSize, original.OutputHeight, original.OutputWidth, gateIndex, segments[s.Input]);
                    convolutions.Add(compact);
                    if (unit.GateIndex >= 0)
                    {
                        var layer = description.PathLayout.Layers[unit.GateIndex];
                        layers[unit.GateIndex] = layer with
                        {
                            DenseFlops = compact.MultiplyAccumulates(inputs.Length, filters.Length),
                            GateFlops = gate?.MultiplyAccumulates ?? 0,
                        };
                    }

                    kept[s.Output] = scatter ? Range(original.Filters) : filters;
                    segments[s.Output] = scatter ? [new ChannelSegment(original.Filters, -1)] : [new ChannelSegment(filters.Length, gateIndex)];
                    break;
                }

                case MaxPoolStep s:
                    kept[s.Output] = kept[s.Input];
                    segments[s.Output] = segments[s.Input];
                    steps.Add(s);
                    break;
                case ResidualAddStep s:
                    kept[s.Output] = kept[s.Main];
                    segments[s.Output] = [new ChannelSegment(kept[s.Main].Length, -1)];
                    steps.Add(s);
                    break;
                case ZeroPadShortcutStep s:
                {
                    int channels = kept[s.Input].Length + (2 * s.PadChannels);
                    kept[s.Output] = Range(channels);
                    segments[s.Output] = [new ChannelSegment(channels, -1)];
                    steps.Add(s);
                    break;
                }

                case ConcatStep s:
                {
                    // Channels are numbered in the original concatenation, whose inputs are each the original width.
                    var channels = new List<long>();
                    long offset = 0;
                    foreach (int input in s.Inputs)
                    {
                        channels.AddRange(kept[input].Select(c => offset + c));
                        offset += OriginalChannels(description, program, input, kept);
                    }

                    kept[s.Output] = channels.ToArray();
                    segments[s.Output] = s.Inputs.SelectMany(i => segments[i]).ToList();
                    steps.Add(s);
                    break;
                }

                default:
                    throw new InvalidOperationException($"Unknown step {step}.");
            }
        }

        long[] features = kept[program.Output];
        var head = SliceLinear(program.Head, null, features);
        root.AddAt(names[program.Head], head);

        var layout = new CalculationPathLayout(layers);
        var compactDescription = new NetworkDescription(convolutions, layout, features.Length, description.Classes);
        var compactProgram = new NetworkProgram(steps, units, mapCount, program.Output, head, []);
        var children = root.named_children().Select(c => (c.name, c.module)).ToList();
        var result = new DecoupledNetwork(network.Architecture, network.Input, network.Classes, network.IsGated, network.Normalization, children, compactProgram, compactDescription)
        {
            IsCompact = true,
        };
        result.to(network.Device);
        result.eval();
        return result;
    }

    /// <summary>
    /// Maps that must keep every channel: the inputs of residual sums and option-A shortcuts, and, through max-pools and
    /// concatenations, the maps they are made from.
    /// </summary>
    private static bool[] MapsThatStayDense(NetworkProgram program)
    {
        var dense = new bool[program.FeatureMapCount];
        // Backwards, so that a step's consumers are seen before it.
        foreach (var step in program.Steps.Reverse())
        {
            switch (step)
            {
                case ResidualAddStep s:
                    dense[s.Main] = true;
                    dense[s.Shortcut] = true;
                    break;
                case ZeroPadShortcutStep s:
                    dense[s.Input] = true;
                    break;
                case MaxPoolStep s when dense[s.Output]:
                    dense[s.Input] = true;
                    break;
                case ConcatStep s when dense[s.Output]:
                    foreach (int input in s.Inputs)
                    {
                        dense[input] = true;
                    }

                    break;
            }
        }

        return dense;
    }

    /// <summary>Channels of feature map <paramref name="map"/> in the original network.</summary>
    private static long OriginalChannels(NetworkDescription description, NetworkProgram program, int map, long[][] kept)
    {
        foreach (var step in program.Steps)
        {
            if (step.Output != map)
            {
                continue;
            }

            return step switch
            {
                ConvolutionStep s => description.Convolutions.First(c => c.Name == s.Unit.Name).Filters,
                MaxPoolStep s => OriginalChannels(description, program, s.Input, kept),
                ConcatStep s => s.Inputs.Sum(i => OriginalChannels(description, program, i, kept)),
                // Residual sums and shortcuts stay dense.
                _ => kept[map].Length,
            };
        }

        return kept[map].Length; // the image
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

    private static long[] Range(int count) => Enumerable.Range(0, count).Select(i => (long)i).ToArray();
}
