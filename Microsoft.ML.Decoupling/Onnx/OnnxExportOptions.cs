namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Options of <see cref="DecoupledNetworkOnnxExporter"/>: the names of the graph's input and outputs, the opset, and an
/// optional output that maps the most probable class to a value of the caller's choice (a class name, a key, …).
/// </summary>
public sealed class OnnxExportOptions
{
    /// <summary>The lowest supported opset of the default ONNX domain (the Softmax and Unsqueeze forms of opset 13).</summary>
    public const int MinimumOpsetVersion = 13;

    /// <summary>The highest supported opset; kept at 17 for wide runtime compatibility.</summary>
    public const int MaximumOpsetVersion = 17;

    private static readonly Type[] _supportedClassValueTypes =
        [typeof(string), typeof(float), typeof(double), typeof(int), typeof(uint), typeof(long)];

    private int _opsetVersion = MaximumOpsetVersion;
    private int _channelAlignment = 8;
    private Array? _classValues;

    /// <summary>Name of the image input, a float tensor [N, C·H·W]. Default: <see cref="DecouplingColumnNames.Image"/>.</summary>
    public string InputName { get; set; } = DecouplingColumnNames.Image;

    /// <summary>Name of the class-probability output, a float tensor [N, K]. Default: <see cref="DecouplingColumnNames.Score"/>.</summary>
    public string ScoreName { get; set; } = DecouplingColumnNames.Score;

    /// <summary>Name of the calculation-path output, a float tensor [N, PathLength] of 0/1. Default: <see cref="DecouplingColumnNames.Path"/>.</summary>
    public string PathName { get; set; } = DecouplingColumnNames.Path;

    /// <summary>
    /// Name of the responses output, a float tensor [N, PathLength]: GAP(Y) of every gated filter before its gate, in path
    /// order (see <see cref="DecouplingColumnNames.Responses"/>). Written for gated networks that are not compact (a compact
    /// network does not compute the filters it removed); null leaves it out. Default: <see cref="DecouplingColumnNames.Responses"/>.
    /// </summary>
    public string? ResponsesName { get; set; } = DecouplingColumnNames.Responses;

    /// <summary>
    /// Name of the path-deviation output, a float tensor [N, gated layers + 1] (see
    /// <see cref="DecouplingColumnNames.PathDeviation"/>). Written with the responses output, for a network trained by the
    /// estimator (which measures the class statistics it needs on training images); null leaves it out. Default:
    /// <see cref="DecouplingColumnNames.PathDeviation"/>.
    /// </summary>
    public string? PathDeviationName { get; set; } = DecouplingColumnNames.PathDeviation;

    /// <summary>
    /// For a compact network: each conv whose map can hold zero channels, and each conv feeding a residual sum, gets zero
    /// filters appended up to a multiple of this (the layers reading its map zero weights for them; a conv feeding a
    /// residual sum scatters its kept filters back into the full-width map, reading removed channels from a zero
    /// filter), because ONNX Runtime's CPU convolutions only use their
    /// fast blocked (NCHWc) kernels when the input channels are a multiple of the block size (8 with AVX2, 16 with
    /// AVX-512); outputs and paths are unchanged. 1 turns it off; other networks ignore it. Default: 8, AVX2's block (on
    /// VGG-16 at 32×32 1.04–1.60× faster than unaligned; on an AVX-512 CPU 16 was 1.13–1.17× faster still on VGG-16 at
    /// batch 1, the same at batch 32 and on ResNet-18, and 4–16 % slower on the CIFAR ResNets, whose 16-channel stages it
    /// pads: BENCHMARKS.md, "Channel alignment" and "Alignment, again"). The zero filters are multiply-adds the graph
    /// does that the FLOPs count of the network leaves out.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a power of two from 1 to 64.</exception>
    public int ChannelAlignment
    {
        get => _channelAlignment;
        set
        {
            if (value is < 1 or > 64 || (value & (value - 1)) != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(ChannelAlignment), value, $"{nameof(ChannelAlignment)} must be a power of two from 1 to 64.");
            }

            _channelAlignment = value;
        }
    }

    /// <summary>Opset of the default ONNX domain, from <see cref="MinimumOpsetVersion"/> to <see cref="MaximumOpsetVersion"/>. Default: 17.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 13–17.</exception>
    public int OpsetVersion
    {
        get => _opsetVersion;
        set
        {
            if (value is < MinimumOpsetVersion or > MaximumOpsetVersion)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(OpsetVersion), value, $"{nameof(OpsetVersion)} must be from {MinimumOpsetVersion} to {MaximumOpsetVersion}.");
            }

            _opsetVersion = value;
        }
    }

    /// <summary>
    /// Name of an extra output [N] holding <c>ClassValues[argmax(Score)]</c> for each image; null (the default) adds no such
    /// output. Requires <see cref="ClassValues"/>.
    /// </summary>
    public string? PredictedValueName { get; set; }

    /// <summary>
    /// One value per class, in class order, for the <see cref="PredictedValueName"/> output: a one-dimensional array of
    /// <see cref="string"/>, <see cref="float"/>, <see cref="double"/>, <see cref="int"/>, <see cref="uint"/> or
    /// <see cref="long"/>. Its length must equal the network's class count. Default: null.
    /// </summary>
    /// <exception cref="ArgumentException">The array is not one-dimensional, has another element type, or holds a null string.</exception>
    public Array? ClassValues
    {
        get => _classValues;
        set
        {
            if (value is not null)
            {
                CheckClassValues(value);
            }

            _classValues = value;
        }
    }

    /// <summary>
    /// One image per run, without a batch dimension (input [C·H·W], outputs [K] and [PathLength]): the form ML.NET's
    /// OnnxTransformer needs to type the outputs as plain vectors. Not for deployment.
    /// </summary>
    internal bool PerRow { get; set; }

    /// <summary>Checks the options against a network with <paramref name="classes"/> classes.</summary>
    /// <exception cref="ArgumentException">A name is empty or repeated, or the predicted-value options are inconsistent.</exception>
    internal void Validate(int classes)
    {
        CheckName(InputName, nameof(InputName));
        CheckName(ScoreName, nameof(ScoreName));
        CheckName(PathName, nameof(PathName));
        var names = new List<(string Option, string Name)>
        {
            (nameof(InputName), InputName),
            (nameof(ScoreName), ScoreName),
            (nameof(PathName), PathName),
        };
        if (ResponsesName is not null)
        {
            CheckName(ResponsesName, nameof(ResponsesName));
            names.Add((nameof(ResponsesName), ResponsesName));
        }

        if (PathDeviationName is not null)
        {
            CheckName(PathDeviationName, nameof(PathDeviationName));
            names.Add((nameof(PathDeviationName), PathDeviationName));
        }

        if (PredictedValueName is not null)
        {
            CheckName(PredictedValueName, nameof(PredictedValueName));
            names.Add((nameof(PredictedValueName), PredictedValueName));
            if (ClassValues is null)
            {
                throw new ArgumentException(
                    $"{nameof(PredictedValueName)} is set to '{PredictedValueName}' but {nameof(ClassValues)} is null; "
                    + $"expected one value per class ({classes}).",
                    nameof(ClassValues));
            }
        }
        else if (ClassValues is not null)
        {
            throw new ArgumentException(
                $"{nameof(ClassValues)} is set but {nameof(PredictedValueName)} is null; set both to add the predicted-value output, or neither.",
                nameof(PredictedValueName));
        }

        if (ClassValues is not null && ClassValues.Length != classes)
        {
            throw new ArgumentException(
                $"{nameof(ClassValues)} holds {ClassValues.Length} values; expected one per class of the network ({classes}).",
                nameof(ClassValues));
        }

        foreach (var group in names.GroupBy(n => n.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw new ArgumentException(
                $"{string.Join(" and ", group.Select(n => n.Option))} share the name '{group.Key}'; expected distinct names.",
                group.Last().Option);
        }
    }

    private static void CheckName(string name, string option)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"{option} must be a non-empty ONNX value name.", option);
        }
    }

    private static void CheckClassValues(Array values)
    {
        Type? elementType = values.GetType().GetElementType();
        if (values.Rank != 1 || elementType is null || !_supportedClassValueTypes.Contains(elementType))
        {
            throw new ArgumentException(
                $"{nameof(ClassValues)} is a {values.GetType().Name}; expected a one-dimensional array of "
                + $"{string.Join(", ", _supportedClassValueTypes.Select(t => t.Name))}.",
                nameof(ClassValues));
        }

        if (values is string?[] strings && Array.IndexOf(strings, null) is int missing and >= 0)
        {
            throw new ArgumentException($"{nameof(ClassValues)}[{missing}] is null; expected a string for every class.", nameof(ClassValues));
        }
    }
}
