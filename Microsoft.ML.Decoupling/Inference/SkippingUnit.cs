using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Inference;

/// <summary>
/// One conv unit for skipping inference: its conv with the BatchNorm folded in (computed once), run per image on the
/// stored input channels only and, where the gate closes enough filters, on the open filters only.
/// </summary>
internal sealed class SkippingUnit : IDisposable
{
    private readonly ConvolutionUnit _unit;
    private readonly Tensor _weight;
    private readonly Tensor _bias;
    private readonly long[] _allFilters;

    /// <summary>For each filter of the conv, its channel in the unit's output map (differs from the filter index only for a compact unit feeding a residual sum).</summary>
    private readonly long[] _outputChannel;
    private readonly int _outputWidth;

    public SkippingUnit(ConvolutionUnit unit)
    {
        _unit = unit;
        using var scope = NewDisposeScope();
        // The conv with its BatchNorm folded in (as the ONNX export folds it), so that the open filters are a slice of one
        // weight tensor.
        var (weight, bias) = unit.FoldBatchNorm();
        _weight = weight.DetachFromDisposeScope();
        _bias = bias.DetachFromDisposeScope();
        int filters = (int)_weight.shape[0];
        _allFilters = Enumerable.Range(0, filters).Select(f => (long)f).ToArray();
        if (unit.Scatter is { } scatter)
        {
            _outputChannel = new long[filters];
            for (int channel = 0; channel < scatter.Source.Length; channel++)
            {
                if (scatter.Source[channel] < filters)
                {
                    _outputChannel[scatter.Source[channel]] = channel;
                }
            }

            _outputWidth = scatter.Source.Length;
        }
        else
        {
            _outputChannel = _allFilters;
            _outputWidth = filters;
        }
    }

    /// <summary>
    /// The unit's output for one image; the layer's full-length path bits [1, bits] are appended to <paramref name="path"/>
    /// for a layer of the path layout. A gated layer with more than <paramref name="maskedAboveOpenRatio"/> of its filters
    /// open, or none, computes every filter and masks them, as the masked forward pass does.
    /// </summary>
    public SparseFeatureMap Forward(SparseFeatureMap input, double maskedAboveOpenRatio, List<Tensor> path)
    {
        long[] open = _allFilters;
        Tensor? z = null;
        if (_unit.Gate is { } gate)
        {
            var logits = gate.FromPooled(input.Pooled());
            z = SemanticHashing.Evaluate(logits);
            path.Add(_unit.PathBits?.ExpandGates(z, 1) ?? z);
            var bits = z.cpu().data<float>().ToArray();
            open = Enumerable.Range(0, bits.Length).Where(f => bits[f] > 0.5f).Select(f => (long)f).ToArray();
        }
        else if (_unit.PathBits is { } constant)
        {
            path.Add(constant.ExpandGates(null, 1));
        }

        var weight = _weight;
        if (input.Channels is not null)
        {
            // Only the input channels that can be non-zero contribute.
            using var inputs = tensor(input.Channels, device: _weight.device);
            weight = weight.index_select(1, inputs);
        }

        bool skip = z is not null && open.Length > 0 && open.Length <= maskedAboveOpenRatio * _allFilters.Length;
        if (!skip)
        {
            var y = Activate(nn.functional.conv2d(input.Values, weight, _bias, Strides, Paddings));
            if (z is not null)
            {
                y = y * z.view(1, -1, 1, 1);
            }

            return _unit.Scatter is null ? SparseFeatureMap.Dense(y) : new SparseFeatureMap(y, _outputChannel, _outputWidth);
        }

        using var filters = tensor(open, device: _weight.device);
        var computed = Activate(nn.functional.conv2d(input.Values, weight.index_select(0, filters), _bias.index_select(0, filters), Strides, Paddings));
        return new SparseFeatureMap(computed, open.Select(f => _outputChannel[f]).ToArray(), _outputWidth);
    }

    private long[] Strides => [_unit.Stride, _unit.Stride];

    private long[] Paddings => [_unit.Padding, _unit.Padding];

    private Tensor Activate(Tensor y) => _unit.Relu ? nn.functional.relu(y, inplace: true) : y;

    public void Dispose()
    {
        _weight.Dispose();
        _bias.Dispose();
    }
}
