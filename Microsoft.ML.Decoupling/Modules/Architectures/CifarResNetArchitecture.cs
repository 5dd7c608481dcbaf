namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// He et al.'s CIFAR ResNet of depth 6n+2: a 3×3 stem of 16, three stages of n basic blocks (16, 32, 64 filters; the
/// second and third start with stride 2), option-A shortcuts (stride-2 subsampling and zero channels, no parameters),
/// global average pooling and a linear layer. State-dict keys follow the common PyTorch implementation
/// (akamaster/pytorch_resnet_cifar10): <c>conv1</c>, <c>bn1</c>, <c>layer{s}.{b}.conv1/bn1/conv2/bn2</c>, <c>linear</c>.
/// </summary>
/// <remarks>
/// Masks sit as in the authors' release (DESIGN.md §2): z1 multiplies ReLU(BN(conv1)), the second gate reads that masked
/// output, z2 multiplies BN(conv2) before the residual add. Gates go on every conv except the first (the stem) and the
/// last (the second conv of the last block), as the paper says (§4.1); the release also gates that last conv.
/// </remarks>
internal sealed class CifarResNetArchitecture : NetworkArchitecture
{
    public CifarResNetArchitecture(int depth)
    {
        if (!IsValidDepth(depth))
        {
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "A CIFAR ResNet has depth 6n+2 with n ≥ 1 (20, 32, 44, 56, 110, …).");
        }

        Depth = depth;
    }

    public int Depth { get; }

    public static bool IsValidDepth(int depth) => depth >= 8 && depth <= 6002 && (depth - 2) % 6 == 0;

    public override string ToString() => $"resnet{Depth}";

    internal override (int Output, string Head) Define(NetworkBuilder builder)
    {
        int blocks = (Depth - 2) / 6;
        int x = builder.Conv(NetworkBuilder.Image, "conv1", "bn1", 16, 3);
        int[] widths = [16, 32, 64];
        for (int stage = 0; stage < widths.Length; stage++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                bool lastConv = stage == widths.Length - 1 && b == blocks - 1;
                string prefix = $"layer{stage + 1}.{b}";
                int c1 = builder.Conv(x, $"{prefix}.conv1", $"{prefix}.bn1", widths[stage], 3, stride, gate: true);
                int c2 = builder.Conv(c1, $"{prefix}.conv2", $"{prefix}.bn2", widths[stage], 3, relu: false, gate: !lastConv);
                int shortcut = stride != 1 || builder.ChannelsOf(x) != widths[stage]
                    ? builder.ZeroPadShortcut(x, stride, widths[stage])
                    : x;
                x = builder.ResidualAdd(c2, shortcut);
            }
        }

        return (x, "linear");
    }
}
