using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// Path quality over one epoch's training batches, read cheaply from each step's forward pass: the noise-free path
/// 1(g &gt; 0) of every training image (what evaluation would give with the batch's BatchNorm statistics), tallied into the
/// dynamic share, the number of distinct paths and each layer's path-classifier accuracy. The weights change during the
/// epoch, so these are indicators of the trend; <see cref="Analysis.Paths.PathQuality"/> on held-out data is the measurement.
/// </summary>
internal sealed class PathQualityTally
{
    private readonly CalculationPathLayout _layout;
    private readonly long[] _onCounts;
    private readonly long[] _correctPerLayer;
    private readonly HashSet<UInt128> _distinct = [];
    private long _images;

    public PathQualityTally(CalculationPathLayout layout)
    {
        _layout = layout;
        _onCounts = new long[layout.PathLength];
        _correctPerLayer = new long[layout.Layers.Count];
    }

    /// <summary>Adds one batch: its gate logits (one [B, N] per gated layer) and labels; the path classifiers of the network.</summary>
    public void Add(IReadOnlyList<Tensor> gateLogits, Tensor labels, IReadOnlyList<TorchSharp.Modules.Linear> classifiers)
    {
        if (gateLogits.Count == 0)
        {
            return;
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var hard = gateLogits.Select(g => g.detach().gt(0).to_type(ScalarType.Float32)).ToArray();
        var correct = stack(hard.Select((z, l) => classifiers[l].forward(z).argmax(1).eq(labels).sum()).ToArray()).cpu().data<long>().ToArray();
        var bits = cat(hard, 1).to_type(ScalarType.Byte).cpu().data<byte>().ToArray();
        int length = _layout.PathLength;
        int batch = bits.Length / length;
        for (int l = 0; l < correct.Length; l++)
        {
            _correctPerLayer[l] += correct[l];
        }

        for (int row = 0; row < batch; row++)
        {
            var path = bits.AsSpan(row * length, length);
            for (int i = 0; i < length; i++)
            {
                _onCounts[i] += path[i];
            }

            // 128 bits of SHA-256 (in the BCL, hardware-accelerated): no collision among any realistic number of paths.
            _distinct.Add(BinaryPrimitives.ReadUInt128LittleEndian(SHA256.HashData(path)));
        }

        _images += batch;
    }

    /// <summary>Share of gated filters that were on for some of the epoch's images and off for others.</summary>
    public double DynamicShare => _images == 0 || _onCounts.Length == 0 ? 0 : _onCounts.Count(c => c > 0 && c < _images) / (double)_onCounts.Length;

    /// <summary>Distinct paths per training image of the epoch.</summary>
    public double DistinctPathShare => _images == 0 ? 0 : _distinct.Count / (double)_images;

    /// <summary>Mean over gated layers of the path classifiers' accuracy on the hard gates.</summary>
    public double ClassifierAccuracy => _images == 0 || _correctPerLayer.Length == 0 ? 0 : _correctPerLayer.Average(c => c / (double)_images);
}
