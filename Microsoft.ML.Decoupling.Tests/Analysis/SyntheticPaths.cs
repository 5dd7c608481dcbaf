using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Modules;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Seeded synthetic calculation paths: uniform noise, or noisy copies of per-class prototypes.</summary>
internal static class SyntheticPaths
{
    /// <summary>A layout of gated layers with the given filter counts (FLOPs are irrelevant here and zero).</summary>
    public static CalculationPathLayout Layout(params int[] filters)
    {
        var layers = new List<GatedLayerInfo>();
        int offset = 0;
        for (int l = 0; l < filters.Length; l++)
        {
            layers.Add(new GatedLayerInfo($"layer{l}", filters[l], offset, 0, 0));
            offset += filters[l];
        }

        return new CalculationPathLayout(layers);
    }

    /// <summary>
    /// Paths of <paramref name="classes"/> classes, <paramref name="perClass"/> each. In the layers listed in
    /// <paramref name="plantedLayers"/>, each class copies a random prototype of its own with each bit flipped with
    /// probability <paramref name="flip"/>; the other layers are uniform random bits.
    /// </summary>
    public static PathSet Planted(CalculationPathLayout layout, int classes, int perClass, double flip, int[] plantedLayers, int seed)
    {
        var random = new Random(seed);
        var prototypes = new float[classes][];
        for (int c = 0; c < classes; c++)
        {
            prototypes[c] = Enumerable.Range(0, layout.PathLength).Select(_ => random.Next(2) == 1 ? 1f : 0f).ToArray();
        }

        var planted = new bool[layout.PathLength];
        foreach (int l in plantedLayers)
        {
            var layer = layout.Layers[l];
            Array.Fill(planted, true, layer.PathOffset, layer.Filters);
        }

        int count = classes * perClass;
        var paths = new float[count * layout.PathLength];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % classes;
            for (int b = 0; b < layout.PathLength; b++)
            {
                float bit = planted[b] ? (random.NextDouble() < flip ? 1 - prototypes[labels[i]][b] : prototypes[labels[i]][b]) : random.Next(2);
                paths[(i * layout.PathLength) + b] = bit;
            }
        }

        return new PathSet(paths, labels, layout, Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray());
    }
}
