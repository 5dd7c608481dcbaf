using System.Globalization;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// A VGG-style layer list: conv widths and 'M' for a 2×2 max-pool, e.g. <c>"32,32,M,64,64,M,128,128"</c>.
/// Every conv is 3×3, stride 1, padding 1, followed by BatchNorm and ReLU.
/// </summary>
public sealed class VggLayout
{
    /// <summary>The default layout, sized for 28×28 and 32×32 inputs.</summary>
    public const string Default = "32,32,M,64,64,M,128,128";

    /// <summary>VGG-11 of network slimming's CIFAR models (configuration A without the last pool).</summary>
    public const string Vgg11 = "64,M,128,M,256,256,M,512,512,M,512,512";

    /// <summary>VGG-13 of network slimming's CIFAR models (configuration B without the last pool).</summary>
    public const string Vgg13 = "64,64,M,128,128,M,256,256,M,512,512,M,512,512";

    /// <summary>VGG-16 of network slimming's CIFAR models (configuration D without the last pool); the paper's CIFAR "VGGNet".</summary>
    public const string Vgg16 = "64,64,M,128,128,M,256,256,256,M,512,512,512,M,512,512,512";

    /// <summary>VGG-19 of network slimming's CIFAR models (configuration E without the last pool).</summary>
    public const string Vgg19 = "64,64,M,128,128,M,256,256,256,256,M,512,512,512,512,M,512,512,512,512";

    private static readonly (string Name, string Text)[] Presets =
    [
        ("vgg11", Vgg11), ("vgg13", Vgg13), ("vgg16", Vgg16), ("vgg19", Vgg19),
    ];

    private VggLayout(string text, IReadOnlyList<int> items)
    {
        Text = text;
        Items = items;
    }

    /// <summary>The layout as written.</summary>
    public string Text { get; }

    /// <summary>Conv widths in order, with 0 standing for a max-pool.</summary>
    public IReadOnlyList<int> Items { get; }

    /// <summary>Number of conv layers.</summary>
    public int ConvCount => Items.Count(i => i > 0);

    /// <summary>The preset name (<c>vgg16</c> …) of a layout text, or null.</summary>
    public static string? NameOf(string text) => Presets.FirstOrDefault(p => p.Text == text).Name;

    /// <summary>Parses a layout; throws <see cref="ArgumentException"/> naming <paramref name="optionName"/> when it is malformed.</summary>
    public static VggLayout Parse(string text, string optionName = "Layers")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException($"{optionName} must list conv widths and 'M' pools, e.g. \"{Default}\"; it was empty.", optionName);
        }

        var items = new List<int>();
        foreach (string raw in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Equals("M", StringComparison.OrdinalIgnoreCase))
            {
                items.Add(0);
            }
            else if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int width) && width > 0)
            {
                items.Add(width);
            }
            else
            {
                throw new ArgumentException($"{optionName} entry '{raw}' is neither a positive conv width nor 'M' (in \"{text}\").", optionName);
            }
        }

        if (items.Count(i => i > 0) < 3)
        {
            throw new ArgumentException($"{optionName} needs at least 3 convs (the first and last are never gated), got \"{text}\".", optionName);
        }

        if (items[0] == 0)
        {
            throw new ArgumentException($"{optionName} must start with a conv, got \"{text}\".", optionName);
        }

        return new VggLayout(text, items);
    }
}
