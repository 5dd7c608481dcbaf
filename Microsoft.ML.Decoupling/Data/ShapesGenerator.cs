using Microsoft.ML.Decoupling.Seeding;

namespace Microsoft.ML.Decoupling.Data;

/// <summary>
/// Generates a seeded synthetic data set of simple shapes on noisy backgrounds. Each class is a composition of
/// parts (bars, a ring, a disk, a square outline, a diagonal, a triangle) and several classes share a part, so the part masks that come with every image give a
/// ground truth for which features a class should use. Position, scale, stroke width and intensity vary per image.
/// </summary>
public static class ShapesGenerator
{
    private static readonly (string Name, ShapePart[] Parts)[] _classes =
    [
        ("cross", [ShapePart.HorizontalBar, ShapePart.VerticalBar]),
        ("barred-ring", [ShapePart.Ring, ShapePart.HorizontalBar]),
        ("target", [ShapePart.Ring, ShapePart.Disk]),
        ("boxed-disk", [ShapePart.SquareOutline, ShapePart.Disk]),
        ("boxed-diagonal", [ShapePart.SquareOutline, ShapePart.Diagonal]),
        ("pennant", [ShapePart.Triangle, ShapePart.VerticalBar]),
    ];

    // Stream index of the generator that shuffles the labels; images use streams 0 .. count-1.
    private const long LabelStream = -1;

    /// <summary>The class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(_classes.Select(c => c.Name).ToArray());

    /// <summary>The parts that make up class <paramref name="label"/>.</summary>
    /// <param name="label">Class index in [0, <see cref="ClassNames"/>.Count).</param>
    internal static IReadOnlyList<ShapePart> GetClassParts(int label)
    {
        if ((uint)label >= (uint)_classes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(label), label, $"Expected a class index in [0, {_classes.Length}).");
        }

        return Array.AsReadOnly(_classes[label].Parts);
    }

    /// <summary>The kebab-case name of <paramref name="part"/>, e.g. "horizontal-bar".</summary>
    /// <param name="part">A part of the vocabulary.</param>
    internal static string GetPartName(ShapePart part) => part switch
    {
        ShapePart.HorizontalBar => "horizontal-bar",
        ShapePart.VerticalBar => "vertical-bar",
        ShapePart.Diagonal => "diagonal",
        ShapePart.Disk => "disk",
        ShapePart.Ring => "ring",
        ShapePart.SquareOutline => "square-outline",
        ShapePart.Triangle => "triangle",
        _ => throw new ArgumentOutOfRangeException(nameof(part), part, "Not a part of the shapes vocabulary."),
    };

    /// <summary>Generates <paramref name="count"/> seeded images of the shape classes (<see cref="ClassNames"/>), with their part masks.</summary>
    /// <param name="count">Number of images.</param>
    /// <param name="seed">Seed; the same seed and arguments give bit-identical data.</param>
    /// <param name="imageSize">Height and width, at least 16.</param>
    /// <param name="channels">1 or 3.</param>
    /// <param name="noiseStd">Standard deviation of the Gaussian pixel noise.</param>
    public static ShapesDataset Generate(
        int count = ShapesDefaults.Count,
        int seed = ShapesDefaults.Seed,
        int imageSize = ShapesDefaults.ImageSize,
        int channels = ShapesDefaults.Channels,
        float noiseStd = ShapesDefaults.NoiseStd) =>
        Generate(new ShapesOptions { Count = count, Seed = seed, ImageSize = imageSize, Channels = channels, NoiseStd = noiseStd });

    /// <summary>Generates a shapes data set as described by <paramref name="options"/>.</summary>
    /// <param name="options">The settings.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is outside its documented range.</exception>
    internal static ShapesDataset Generate(ShapesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);

        int size = options.ImageSize;
        int imageSize = options.Channels * size * size;
        int[] labels = CreateBalancedLabels(options.Count, options.Seed);
        var pixels = new float[(long)options.Count * imageSize];
        var masks = new ShapePartMask[options.Count][];
        var brightness = new float[size * size];

        for (int i = 0; i < options.Count; i++)
        {
            var random = SeededRandom.ForStream(options.Seed, i);
            masks[i] = DrawImage(
                _classes[labels[i]].Parts, options, random, brightness, pixels.AsSpan(i * imageSize, imageSize));
        }

        var images = new ImageDataset(pixels, labels, options.Channels, size, size, ClassNames);
        return new ShapesDataset(images, masks);
    }

    private static void Validate(ShapesOptions options)
    {
        if (options.Count < 0)
        {
            throw new ArgumentOutOfRangeException(
                $"{nameof(options)}.{nameof(ShapesOptions.Count)}", options.Count, "Expected a non-negative number of images.");
        }

        if (options.ImageSize < ShapesDefaults.MinImageSize)
        {
            throw new ArgumentOutOfRangeException(
                $"{nameof(options)}.{nameof(ShapesOptions.ImageSize)}",
                options.ImageSize,
                $"Expected an image size of at least {ShapesDefaults.MinImageSize} pixels.");
        }

        if (options.Channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(
                $"{nameof(options)}.{nameof(ShapesOptions.Channels)}", options.Channels, "Expected 1 (grey) or 3 (RGB) channels.");
        }

        if (!(options.NoiseStd >= 0f && float.IsFinite(options.NoiseStd)))
        {
            throw new ArgumentOutOfRangeException(
                $"{nameof(options)}.{nameof(ShapesOptions.NoiseStd)}", options.NoiseStd, "Expected a finite, non-negative noise level.");
        }

        if ((long)options.Count * options.Channels * options.ImageSize * options.ImageSize > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                $"{nameof(options)}.{nameof(ShapesOptions.Count)}",
                options.Count,
                "Count × Channels × ImageSize² is more values than an array can hold.");
        }
    }

    /// <summary>Labels 0, 1, …, K−1, 0, 1, … shuffled, so every class appears when count ≥ K.</summary>
    private static int[] CreateBalancedLabels(int count, int seed)
    {
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % _classes.Length;
        }

        var random = SeededRandom.ForStream(seed, LabelStream);
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (labels[i], labels[j]) = (labels[j], labels[i]);
        }

        return labels;
    }

    /// <summary>Draws one image into <paramref name="destination"/> (C×H×W) and returns the masks of its parts.</summary>
    private static ShapePartMask[] DrawImage(
        ShapePart[] parts, ShapesOptions options, SeededRandom random, float[] brightness, Span<float> destination)
    {
        int size = options.ImageSize;

        // One frame for the whole shape: the parts are laid out around a common centre so they read as one object.
        double scale = size * random.Uniform(0.28, 0.40);
        double margin = scale + 1.0;
        var frame = new ShapeFrame(
            CenterX: random.Uniform(margin, size - margin),
            CenterY: random.Uniform(margin, size - margin),
            Scale: scale,
            HalfStroke: 0.5 * Math.Max(1.5, scale * random.Uniform(0.16, 0.26)),
            DiagonalSign: random.NextBool() ? 1.0 : -1.0);

        float background = (float)random.Uniform(0.0, 0.15);
        Array.Fill(brightness, background);

        var masks = new ShapePartMask[parts.Length];
        for (int p = 0; p < parts.Length; p++)
        {
            float intensity = (float)random.Uniform(0.55, 1.0);
            var mask = new bool[size * size];
            for (int y = 0; y < size; y++)
            {
                double dy = y + 0.5 - frame.CenterY;
                for (int x = 0; x < size; x++)
                {
                    if (Covers(parts[p], x + 0.5 - frame.CenterX, dy, frame))
                    {
                        int at = (y * size) + x;
                        mask[at] = true;
                        brightness[at] = Math.Max(brightness[at], intensity);
                    }
                }
            }

            masks[p] = new ShapePartMask(parts[p], mask, size, size);
        }

        Span<float> tint = stackalloc float[options.Channels];
        FillTint(tint, random);
        double noiseStd = options.NoiseStd;
        for (int c = 0; c < options.Channels; c++)
        {
            Span<float> plane = destination.Slice(c * size * size, size * size);
            for (int i = 0; i < plane.Length; i++)
            {
                // The background stays grey; only the strokes take the tint.
                float value = brightness[i] > background ? brightness[i] * tint[c] : background;
                if (noiseStd > 0)
                {
                    value += (float)(noiseStd * random.NextGaussian());
                }

                plane[i] = Math.Clamp(value, 0f, 1f);
            }
        }

        return masks;
    }

    /// <summary>Per-channel stroke colour: grey for one channel; for RGB one channel at full strength, the others in [0.6, 1).</summary>
    private static void FillTint(Span<float> tint, SeededRandom random)
    {
        if (tint.Length == 1)
        {
            tint[0] = 1f;
            return;
        }

        int strongest = random.NextInt(tint.Length);
        for (int c = 0; c < tint.Length; c++)
        {
            tint[c] = c == strongest ? 1f : (float)random.Uniform(0.6, 1.0);
        }
    }

    /// <summary>Whether <paramref name="part"/> covers the point (<paramref name="dx"/>, <paramref name="dy"/>) relative to the frame centre (y points down).</summary>
    private static bool Covers(ShapePart part, double dx, double dy, ShapeFrame frame)
    {
        double s = frame.Scale;
        double h = frame.HalfStroke;
        switch (part)
        {
            case ShapePart.HorizontalBar:
                return Math.Abs(dy) <= h && Math.Abs(dx) <= 0.9 * s;
            case ShapePart.VerticalBar:
                return Math.Abs(dx) <= h && Math.Abs(dy) <= 0.9 * s;
            case ShapePart.Diagonal:
                return Math.Abs(dx - (frame.DiagonalSign * dy)) / Math.Sqrt(2.0) <= h
                    && Math.Abs(dx) <= 0.8 * s && Math.Abs(dy) <= 0.8 * s;
            case ShapePart.Disk:
                return Math.Sqrt((dx * dx) + (dy * dy)) <= Math.Max(1.5, 0.35 * s);
            case ShapePart.Ring:
                return Math.Abs(Math.Sqrt((dx * dx) + (dy * dy)) - (0.85 * s)) <= h;
            case ShapePart.SquareOutline:
                return Math.Abs(Math.Max(Math.Abs(dx), Math.Abs(dy)) - (0.85 * s)) <= h;
            case ShapePart.Triangle:
                return Math.Abs(TriangleSignedDistance(dx, dy, s)) <= h;
            default:
                throw new ArgumentOutOfRangeException(nameof(part), part, "Not a part of the shapes vocabulary.");
        }
    }

    /// <summary>
    /// Distance to the nearest edge line of the triangle with apex (0, −0.85s) and base corners (±0.85s, 0.6s):
    /// positive inside, negative outside (exact near the edges, which is all the outline needs).
    /// </summary>
    private static double TriangleSignedDistance(double dx, double dy, double s)
    {
        double top = -0.85 * s, bottom = 0.6 * s, half = 0.85 * s;

        // Slanted edges: from the apex (0, top) to (±half, bottom); inward normal points towards the centre line.
        double edgeLength = Math.Sqrt((half * half) + ((bottom - top) * (bottom - top)));
        double toRight = (((bottom - top) * -Math.Abs(dx)) + (half * (dy - top))) / edgeLength;
        double toBase = bottom - dy;
        return Math.Min(toRight, toBase);
    }
}
