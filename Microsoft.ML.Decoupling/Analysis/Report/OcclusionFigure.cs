using Microsoft.ML.Decoupling.Analysis.Concepts;
using Microsoft.ML.Decoupling.Modules;
using SkiaSharp;

namespace Microsoft.ML.Decoupling.Analysis.Report;

/// <summary>
/// Paper Figs. 7 and 8 for the report: per concept, one image with the concept's mask (green) and the receptive fields
/// of the filters that switch off when the concept is occluded (red; yellow where they overlap the mask). Drawn pixel by
/// pixel with SkiaSharp: a picture of masks, not a chart.
/// </summary>
internal static class OcclusionFigure
{
    private const int Scale = 6;
    private const int Gap = 8;
    private const int LabelHeight = 18;

    /// <summary>Draws one panel per concept (the first image that shows it); null when no image shows any concept.</summary>
    public static byte[]? Draw(DecoupledNetwork network, IReadOnlyList<ConceptImage> images, ConceptAnalysisResult concepts, float fill)
    {
        var panels = new List<(string Concept, ConceptImage Image, (IReadOnlyList<FilterReference> SwitchedOff, IReadOnlyList<FilterReference> SwitchedOn, double ReceptiveFieldIoU, IReadOnlyList<bool> SwitchedOffField) Result)>();
        foreach (string concept in concepts.Concepts)
        {
            var image = images.FirstOrDefault(i => i.MaskList.Any(m => m.Concept == concept));
            if (image is not null)
            {
                panels.Add((concept, image, ConceptAnalysis.Occlude(network, image, concept, concepts.Thresholds, fill)));
            }
        }

        if (panels.Count == 0)
        {
            return null;
        }

        int width = network.Width * Scale, height = network.Height * Scale;
        using var surface = SKSurface.Create(new SKImageInfo((panels.Count * (width + Gap)) + Gap, height + LabelHeight + (2 * Gap)));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var font = new SKPaint { Color = SKColors.Black, TextSize = 12, IsAntialias = true };
        using var paint = new SKPaint();
        for (int k = 0; k < panels.Count; k++)
        {
            var (concept, image, result) = panels[k];
            var mask = image.MaskList.First(m => m.Concept == concept).PixelArray;
            int left = Gap + (k * (width + Gap));
            int plane = network.Height * network.Width;
            for (int y = 0; y < network.Height; y++)
            {
                for (int x = 0; x < network.Width; x++)
                {
                    int p = (y * network.Width) + x;
                    float mean = 0;
                    for (int c = 0; c < network.Channels; c++)
                    {
                        mean += image.PixelArray[(c * plane) + p] / network.Channels;
                    }

                    byte grey = (byte)Math.Clamp(mean * 255, 0, 255);
                    bool inMask = mask[p], inField = result.SwitchedOffField[p];
                    paint.Color = (inMask, inField) switch
                    {
                        (true, true) => new SKColor(255, 215, 0),
                        (true, false) => new SKColor(40, 170, 60),
                        (false, true) => new SKColor(220, 40, 40),
                        _ => new SKColor(grey, grey, grey),
                    };
                    canvas.DrawRect(left + (x * Scale), Gap + (y * Scale), Scale, Scale, paint);
                }
            }

            canvas.DrawText($"{concept}: {result.SwitchedOff.Count} off", left, Gap + height + LabelHeight - 4, font);
        }

        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
