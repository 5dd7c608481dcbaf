namespace Microsoft.ML.Decoupling.Analysis.Concepts;

/// <summary>
/// How well one layer represents one concept (paper Fig. 6): by its best single filter, and by the set of filters that
/// switch off when the concept is occluded.
/// </summary>
/// <param name="Layer">Gated layer name.</param>
/// <param name="Concept">Concept name.</param>
/// <param name="Images">Number of images that show the concept.</param>
/// <param name="SingleFilterIoU">max over filters of the mean IoU of the filter's receptive field with the concept.</param>
/// <param name="MultiFilterIoU">Mean IoU of the union of the switched-off filters' receptive fields with the concept (0 for an image where none switched off).</param>
/// <param name="MeanSwitchedOff">Mean number of filters of the layer that switch off when the concept is occluded.</param>
/// <param name="MostFrequentFilter">The filter that switches off in most images, or null when none ever does.</param>
/// <param name="MostFrequentShare">Share of the images in which that filter switches off.</param>
public sealed record ConceptCoverage(
    string Layer,
    string Concept,
    int Images,
    double SingleFilterIoU,
    double MultiFilterIoU,
    double MeanSwitchedOff,
    FilterReference? MostFrequentFilter,
    double MostFrequentShare);
