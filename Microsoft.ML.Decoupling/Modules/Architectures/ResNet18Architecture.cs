namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// ResNet-18 in the ImageNet style: 7×7 stride-2 stem of 64, 3×3 stride-2 max-pool, four stages of two basic blocks
/// (64, 128, 256, 512; stages 2–4 start with stride 2 and a 1×1 projection shortcut), global average pooling and a
/// linear layer. State-dict keys are torchvision's (<c>conv1</c>, <c>bn1</c>, <c>layer{s}.{b}.conv1</c>,
/// <c>layer{s}.0.downsample.0/1</c>, <c>fc</c>), so a torchvision <c>resnet18</c> state dict loads as it is.
/// </summary>
/// <remarks>
/// Masks sit as in the CIFAR ResNets; the projection shortcut is gated too (authors' release), its mask applied after its
/// BatchNorm. Every conv except the stem and the last one (<c>layer4.1.conv2</c>) is gated (paper §4.1).
/// </remarks>
internal sealed class ResNet18Architecture : NetworkArchitecture
{
    public override string ToString() => "resnet18";

    internal override (int Output, string Head) Define(NetworkBuilder builder)
    {
        int x = builder.Conv(NetworkBuilder.Image, "conv1", "bn1", 64, 7, stride: 2, padding: 3);
        x = builder.MaxPool(x, 3, 2, 1);
        int[] widths = [64, 128, 256, 512];
        for (int stage = 0; stage < widths.Length; stage++)
        {
            for (int b = 0; b < 2; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                bool lastConv = stage == widths.Length - 1 && b == 1;
                string prefix = $"layer{stage + 1}.{b}";
                int c1 = builder.Conv(x, $"{prefix}.conv1", $"{prefix}.bn1", widths[stage], 3, stride, gate: true);
                int c2 = builder.Conv(c1, $"{prefix}.conv2", $"{prefix}.bn2", widths[stage], 3, relu: false, gate: !lastConv);
                int shortcut = stride != 1 || builder.ChannelsOf(x) != widths[stage]
                    ? builder.Conv(x, $"{prefix}.downsample.0", $"{prefix}.downsample.1", widths[stage], 1, stride, padding: 0, relu: false, gate: true)
                    : x;
                x = builder.ResidualAdd(c2, shortcut);
            }
        }

        return (x, "fc");
    }
}
