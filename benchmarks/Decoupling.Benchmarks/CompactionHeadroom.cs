using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Modules;

namespace Decoupling.Benchmarks;

/// <summary>
/// What a compact network leaves for a runtime to gain, counted rather than timed: its conv multiply-accumulates as ONNX
/// Runtime's blocked convs compute them, and how much of it per-input skipping could still save.
/// </summary>
internal static class CompactionHeadroom
{
    /// <summary>
    /// Over the timed images, the share of the compact network's kept filters that are open per image, in the layers that
    /// keep their gate: whole, and the lowest and median over those layers. <paramref name="paths"/> are the compact
    /// network's own paths, whose bits of removed filters are constant 0. Gated weights pay in ONNX Runtime only below
    /// about half open (DESIGN.md §3), so this tells whether per-input skipping on top of compaction has anything left.
    /// </summary>
    internal static (double Whole, double Lowest, double Median) KeptOpenShares(DecoupledNetwork gated, CompactionResult compact, float[] paths, int images)
    {
        var layout = gated.PathLayout;
        var shares = new List<double>();
        double open = 0, kept = 0;
        for (int l = 0; l < layout.Layers.Count; l++)
        {
            var (_, _, keptFilters, gateDropped, allSilent) = compact.Layers[l];
            if (gateDropped || allSilent)
            {
                continue;
            }

            var layer = layout.Layers[l];
            double layerOpen = 0;
            for (int i = 0; i < images; i++)
            {
                for (int f = 0; f < layer.Filters; f++)
                {
                    layerOpen += paths[(i * layout.PathLength) + layer.PathOffset + f];
                }
            }

            open += layerOpen / images;
            kept += keptFilters;
            shares.Add(layerOpen / images / keptFilters);
        }

        if (shares.Count == 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        shares.Sort();
        int middle = shares.Count / 2;
        double median = shares.Count % 2 == 1 ? shares[middle] : (shares[middle - 1] + shares[middle]) / 2;
        return (open / kept, shares[0], median);
    }

    /// <summary>
    /// The channel block of ONNX Runtime's NCHWc convolutions on this CPU (MLAS: 16 with AVX-512F, 8 with AVX2 and AVX).
    /// ORT pads a conv's filters, and its inputs from 8 channels up, to this multiple, so a compact conv computes that many.
    /// </summary>
    internal static int NchwcBlock => System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? 16 : 8;

    /// <summary>
    /// Multiply-accumulates per image of the network's convs with input and output channels rounded up to
    /// <paramref name="block"/>, but the first conv's input (the image, fewer than 8 channels, which ORT leaves as it is;
    /// every other narrow input is a compact map that the exporter's alignment has already made 8 channels wide).
    /// </summary>
    internal static double ConvolutionMacs(DecoupledNetwork network, int block)
    {
        static int RoundUp(int channels, int block) => (channels + block - 1) / block * block;
        var convolutions = network.Description.Convolutions;
        return convolutions.Select((c, i) => (double)c.MultiplyAccumulates(i == 0 ? c.InputChannels : RoundUp(c.InputChannels, block), RoundUp(c.Filters, block))).Sum();
    }
}
