namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// CIFAR-style VGG: conv-BN-ReLU blocks from a <see cref="VggLayout"/>, 2×2 max-pools, global average pooling and one
/// linear layer (as in network slimming's CIFAR VGG). Gates on every conv except the first and the last (paper §4.1).
/// State-dict keys follow torchvision's <c>features</c> indices (conv at i, BatchNorm at i+1, ReLU at i+2, a pool takes
/// one index) and the head is <c>classifier</c>.
/// </summary>
internal sealed class VggArchitecture : NetworkArchitecture
{
    public VggArchitecture(VggLayout layout, bool convolutionBias)
    {
        Layout = layout;
        ConvolutionBias = convolutionBias;
    }

    public VggLayout Layout { get; }

    public bool ConvolutionBias { get; }

    internal override NetworkArchitecture WithConvolutionBias() => new VggArchitecture(Layout, convolutionBias: true);

    public override string ToString() => VggLayout.NameOf(Layout.Text) is { } preset ? preset : $"vgg:{Layout.Text}";

    internal override (int Output, string Head) Define(NetworkBuilder builder)
    {
        int x = NetworkBuilder.Image, index = 0, conv = 0, last = Layout.ConvCount - 1;
        foreach (int item in Layout.Items)
        {
            if (item == 0)
            {
                x = builder.MaxPool(x, 2, 2);
                index += 1;
                continue;
            }

            bool gated = conv > 0 && conv < last;
            x = builder.Conv(x, $"features.{index}", $"features.{index + 1}", item, 3, gate: gated, bias: ConvolutionBias);
            index += 3;
            conv++;
        }

        return (x, "classifier");
    }
}
