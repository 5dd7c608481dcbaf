using System.Globalization;
using Microsoft.ML.Decoupling.Seeding;

namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// A CNN architecture that can be built gated (decoupled) or dense, for any input C×H×W. Gates follow the paper (§4.1):
/// every conv except the first and the last carries one (see each architecture for the details).
/// </summary>
/// <remarks>
/// Available: <see cref="Vgg(string, bool)"/> (CIFAR-style, from a channel list), <see cref="CifarResNet"/> (depth 6n+2,
/// option-A shortcuts), <see cref="ResNet18"/> (ImageNet style) and <see cref="CifarGoogLeNet"/> (inception blocks).
/// </remarks>
public abstract class NetworkArchitecture
{
    private protected NetworkArchitecture()
    {
    }

    /// <summary>Builds the network with PyTorch's default initialisation (the gates keep their own, DESIGN.md §2).</summary>
    /// <param name="input">Input image shape.</param>
    /// <param name="classes">Number of classes K (at least 2).</param>
    /// <param name="gated">Whether to add gates (false: the dense baseline of the same architecture).</param>
    /// <param name="gateReduction">γ of the gates' hidden layer (paper: 4).</param>
    /// <param name="normalization">Optional per-channel input normalisation, applied inside the network.</param>
    /// <param name="seed">
    /// Seed of the initialisation, drawn from a generator of the network's own (the values that
    /// <c>torch.manual_seed(seed)</c> then a build without a seed give). Null: drawn from torch's process-wide generator.
    /// </param>
    /// <exception cref="ArgumentException">The input is too small for the architecture, or the arguments are out of range.</exception>
    public DecoupledNetwork Build(ImageShape input, int classes, bool gated = true, int gateReduction = 4, InputNormalization? normalization = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Channels < 1 || input.Height < 1 || input.Width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(input), input, "Every input dimension must be positive.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(gateReduction, 1);
        using var generator = seed is { } value ? SeededGenerator.Create(value) : null;
        var builder = new NetworkBuilder(input, classes, gated, gateReduction, generator);
        var (output, head) = Define(builder);
        return builder.Build(ToString(), output, head, normalization);
    }

    /// <summary>This architecture with biases in its convs, or null where it has no such variant (only VGG has).</summary>
    internal virtual NetworkArchitecture? WithConvolutionBias() => null;

    /// <summary>The architecture's name, readable by <see cref="Parse"/>.</summary>
    public abstract override string ToString();

    /// <summary>Adds the architecture's layers; returns the final feature map and the state-dict name of the linear head.</summary>
    internal abstract (int Output, string Head) Define(NetworkBuilder builder);

    /// <summary>A CIFAR-style VGG (3×3 convs with BatchNorm, 2×2 max-pools, global average pooling, one linear layer).</summary>
    /// <param name="layout">Conv widths and 'M' pools, e.g. <see cref="VggLayout.Vgg16"/>.</param>
    /// <param name="convolutionBias">Whether the convs have biases (torchvision's VGGs do; network slimming's and ours by default do not).</param>
    public static NetworkArchitecture Vgg(string layout, bool convolutionBias = false) => new VggArchitecture(VggLayout.Parse(layout, nameof(layout)), convolutionBias);

    /// <summary>A CIFAR-style ResNet of depth 6n+2 (20, 32, 44, 56, 110 …): 16/32/64-wide stages, option-A shortcuts.</summary>
    public static NetworkArchitecture CifarResNet(int depth) => new CifarResNetArchitecture(depth);

    /// <summary>ResNet-18 in the ImageNet style (7×7 stem, max-pool, four stages, projection shortcuts).</summary>
    public static NetworkArchitecture ResNet18() => new ResNet18Architecture();

    /// <summary>GoogLeNet in the CIFAR style (3×3 stem of 192, nine inception blocks), as in the paper's CIFAR experiments.</summary>
    public static NetworkArchitecture CifarGoogLeNet() => new CifarGoogLeNetArchitecture();

    /// <summary>
    /// Reads an architecture name: <c>vgg</c> (the default layout), <c>vgg:&lt;layout&gt;</c>, <c>vgg11</c>, <c>vgg13</c>,
    /// <c>vgg16</c>, <c>vgg19</c>, <c>resnet&lt;6n+2&gt;</c> (e.g. <c>resnet20</c>, <c>resnet56</c>), <c>resnet18</c> and <c>googlenet</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of these; the message names <paramref name="optionName"/>.</exception>
    public static NetworkArchitecture Parse(string text, string optionName = "architecture")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException($"{optionName} is empty; expected vgg, vgg:<layout>, vgg11/13/16/19, resnet<6n+2>, resnet18 or googlenet.", optionName);
        }

        string name = text.Trim();
        string lower = name.ToLowerInvariant();
        if (lower.StartsWith("vgg:", StringComparison.Ordinal))
        {
            return new VggArchitecture(VggLayout.Parse(name[4..], optionName), false);
        }

        switch (lower)
        {
            case "vgg":
                return new VggArchitecture(VggLayout.Parse(VggLayout.Default, optionName), false);
            case "vgg11":
                return new VggArchitecture(VggLayout.Parse(VggLayout.Vgg11, optionName), false);
            case "vgg13":
                return new VggArchitecture(VggLayout.Parse(VggLayout.Vgg13, optionName), false);
            case "vgg16":
                return new VggArchitecture(VggLayout.Parse(VggLayout.Vgg16, optionName), false);
            case "vgg19":
                return new VggArchitecture(VggLayout.Parse(VggLayout.Vgg19, optionName), false);
            case "resnet18":
                return new ResNet18Architecture();
            case "googlenet":
                return new CifarGoogLeNetArchitecture();
        }

        if (lower.StartsWith("resnet", StringComparison.Ordinal)
            && int.TryParse(lower.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int depth))
        {
            if (!CifarResNetArchitecture.IsValidDepth(depth))
            {
                throw new ArgumentException($"{optionName} '{text}': a CIFAR ResNet has depth 6n+2 (20, 32, 44, 56, 110, …); resnet18 is the ImageNet ResNet.", optionName);
            }

            return new CifarResNetArchitecture(depth);
        }

        throw new ArgumentException($"{optionName} '{text}' is not known; expected vgg, vgg:<layout>, vgg11/13/16/19, resnet<6n+2>, resnet18 or googlenet.", optionName);
    }
}
