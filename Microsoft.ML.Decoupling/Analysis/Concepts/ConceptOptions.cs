namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>Settings of <see cref="ConceptAnalysis"/>: the receptive-field quantile, the IoU bound, the occlusion fill and the batch size with which filters are matched to concepts (pass one to <see cref="ConceptAnalysis.Analyze"/> or <see cref="Report.DecouplingReportOptions.Concepts"/>).</summary>
public sealed class ConceptOptions
{
    /// <summary>
    /// A filter's receptive field is where its upsampled activation map exceeds the level that this share of all its
    /// activations (over the analysed images and positions) exceed. Default 0.005, network dissection's top quantile.
    /// </summary>
    public double TopQuantile { get; set; } = 0.005;

    /// <summary>A filter is associated with a concept in an image when their IoU exceeds this (paper: 0.01). Default 0.01.</summary>
    public double AssociationIoU { get; set; } = 0.01;

    /// <summary>Value written into every channel of occluded pixels (the paper occludes with black blocks). Default 0.</summary>
    public float OcclusionFill { get; set; }

    /// <summary>Images per forward pass. Default 64.</summary>
    public int BatchSize { get; set; } = 64;

    internal void Validate()
    {
        if (!(TopQuantile is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException($"{nameof(ConceptOptions)}.{nameof(TopQuantile)}", TopQuantile, "Expected a share in (0, 1).");
        }

        if (!(AssociationIoU is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException($"{nameof(ConceptOptions)}.{nameof(AssociationIoU)}", AssociationIoU, "Expected an IoU in [0, 1).");
        }

        if (!(OcclusionFill is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException($"{nameof(ConceptOptions)}.{nameof(OcclusionFill)}", OcclusionFill, "Expected a pixel value in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, $"{nameof(ConceptOptions)}.{nameof(BatchSize)}");
    }
}
