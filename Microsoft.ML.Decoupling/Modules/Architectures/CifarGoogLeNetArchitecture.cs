namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// GoogLeNet in the CIFAR style used by the paper's CIFAR experiments (the common PyTorch version, kuangliu/pytorch-cifar):
/// a 3×3 stem of 192, inception blocks a3 b3, a 3×3 stride-2 max-pool, a4 … e4, a max-pool, a5 b5, global average
/// pooling and a linear layer of 1024 inputs. Each block has four branches (1×1; 1×1→3×3; 1×1→3×3→3×3; 3×3 max-pool→1×1)
/// whose outputs are concatenated. Convs have biases, as there. State-dict keys are that implementation's
/// (<c>pre_layers.0</c>, <c>a3.b2.3</c>, …, <c>linear</c>).
/// </summary>
/// <remarks>Every conv in a branch is gated; the stem, the first conv, is not (paper §4.1).</remarks>
internal sealed class CifarGoogLeNetArchitecture : NetworkArchitecture
{
    private static readonly (string Name, int OneByOne, int Reduce3, int ThreeByThree, int Reduce5, int FiveByFive, int Pool)[] Blocks =
    [
        ("a3", 64, 96, 128, 16, 32, 32),
        ("b3", 128, 128, 192, 32, 96, 64),
        ("a4", 192, 96, 208, 16, 48, 64),
        ("b4", 160, 112, 224, 24, 64, 64),
        ("c4", 128, 128, 256, 24, 64, 64),
        ("d4", 112, 144, 288, 32, 64, 64),
        ("e4", 256, 160, 320, 32, 128, 128),
        ("a5", 256, 160, 320, 32, 128, 128),
        ("b5", 384, 192, 384, 48, 128, 128),
    ];

    public override string ToString() => "googlenet";

    internal override (int Output, string Head) Define(NetworkBuilder builder)
    {
        int x = builder.Conv(NetworkBuilder.Image, "pre_layers.0", "pre_layers.1", 192, 3, bias: true);
        foreach (var block in Blocks)
        {
            if (block.Name is "a4" or "a5")
            {
                x = builder.MaxPool(x, 3, 2, 1);
            }

            x = Inception(builder, x, block);
        }

        return (x, "linear");
    }

    private static int Inception(NetworkBuilder builder, int x, (string Name, int OneByOne, int Reduce3, int ThreeByThree, int Reduce5, int FiveByFive, int Pool) block)
    {
        string n = block.Name;
        int b1 = builder.Conv(x, $"{n}.b1.0", $"{n}.b1.1", block.OneByOne, 1, gate: true, bias: true);

        int b2 = builder.Conv(x, $"{n}.b2.0", $"{n}.b2.1", block.Reduce3, 1, gate: true, bias: true);
        b2 = builder.Conv(b2, $"{n}.b2.3", $"{n}.b2.4", block.ThreeByThree, 3, gate: true, bias: true);

        int b3 = builder.Conv(x, $"{n}.b3.0", $"{n}.b3.1", block.Reduce5, 1, gate: true, bias: true);
        b3 = builder.Conv(b3, $"{n}.b3.3", $"{n}.b3.4", block.FiveByFive, 3, gate: true, bias: true);
        b3 = builder.Conv(b3, $"{n}.b3.6", $"{n}.b3.7", block.FiveByFive, 3, gate: true, bias: true);

        int b4 = builder.MaxPool(x, 3, 1, 1);
        b4 = builder.Conv(b4, $"{n}.b4.1", $"{n}.b4.2", block.Pool, 1, gate: true, bias: true);
        return builder.Concat(b1, b2, b3, b4);
    }
}
