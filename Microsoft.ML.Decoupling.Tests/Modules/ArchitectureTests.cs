using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Seeding;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Every architecture builds gated and dense, runs on its inputs, counts its FLOPs right and exports to ONNX.</summary>
[TestClass]
public sealed class ArchitectureTests
{
    public static IEnumerable<object[]> Cases =>
    [
        ["vgg", 1, 28, 28],
        ["vgg16", 3, 32, 32],
        ["resnet20", 1, 28, 28],
        ["resnet20", 3, 32, 32],
        ["resnet18", 3, 64, 64],
        ["googlenet", 3, 32, 32],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Build_GatedAndDense_ForwardHasTheRightShapes(string name, int channels, int height, int width)
    {
        var architecture = NetworkArchitecture.Parse(name);
        var shape = new ImageShape(channels, height, width);
        using var gated = architecture.Build(shape, 7, seed: 1);
        using var dense = architecture.Build(shape, 7, gated: false, seed: 2);
        using var scope = NewDisposeScope();
        using var draws = SeededGenerator.Create(3);
        var input = rand([2, shape.Size], generator: draws);
        gated.train();
        var output = gated.Forward(input, draws);
        CollectionAssert.AreEqual(new long[] { 2, 7 }, output.Logits.shape);
        var layout = gated.Description.PathLayout;
        Assert.AreEqual(layout.Layers.Count, output.Gates.Count);
        Assert.AreEqual(output.Gates.Count, output.Responses.Count);
        for (int l = 0; l < layout.Layers.Count; l++)
        {
            CollectionAssert.AreEqual(new long[] { 2, layout.Layers[l].Filters }, output.Gates[l].shape, layout.Layers[l].Name);
            CollectionAssert.AreEqual(new long[] { 2, layout.Layers[l].Filters }, output.Responses[l].shape, layout.Layers[l].Name);
        }

        CollectionAssert.AreEqual(new long[] { 2, layout.PathLength }, output.Path().shape);
        // Gates on every conv but the first; the dense network has the same convs and no gates.
        Assert.AreEqual(gated.Description.Convolutions.Count, dense.Description.Convolutions.Count);
        Assert.AreEqual(0, dense.Description.PathLayout.PathLength);
        Assert.AreEqual(-1, gated.Description.Convolutions[0].GateIndex, "the first conv is never gated");
        Assert.IsTrue(layout.Layers.Count >= gated.Description.Convolutions.Count - 2);
        dense.eval();
        CollectionAssert.AreEqual(new long[] { 2, 7 }, dense.forward(input).Logits.shape);
        // Same convs, BatchNorms and head: the dense state dict is the gated one without gates and path classifiers.
        var gatedKeys = gated.state_dict().Keys.Where(k => !k.StartsWith("gates.") && !k.StartsWith("path_classifiers.")).Order().ToArray();
        CollectionAssert.AreEqual(dense.state_dict().Keys.Order().ToArray(), gatedKeys);
    }

    [TestMethod]
    public void ResNet56_DenseFlops_MatchHandCountAndPaper()
    {
        using var network = NetworkArchitecture.CifarResNet(56).Build(new ImageShape(3, 32, 32), 10, gated: false, seed: 1);
        long stem = 9L * 3 * 16 * 32 * 32;
        long stage1 = 18 * (9L * 16 * 16 * 32 * 32);
        long stage2 = (9L * 16 * 32 * 16 * 16) + (17 * (9L * 32 * 32 * 16 * 16));
        long stage3 = (9L * 32 * 64 * 8 * 8) + (17 * (9L * 64 * 64 * 8 * 8));
        Assert.AreEqual(stem + stage1 + stage2 + stage3 + (64 * 10), FlopsCounter.Dense(network.Description));
        // Paper Table 2: ResNet-56, 125M FLOPs.
        Assert.AreEqual(125e6, FlopsCounter.Dense(network.Description), 1e6);
    }

    [TestMethod]
    public void ResNet18_DenseFlopsAt224_MatchHandCount()
    {
        using var network = NetworkArchitecture.ResNet18().Build(new ImageShape(3, 224, 224), 1000, gated: false, seed: 1);
        long stem = 49L * 3 * 64 * 112 * 112;
        long stage1 = 4 * (9L * 64 * 64 * 56 * 56);
        long Stage(long inputs, long width, long side) =>
            (9 * inputs * width * side * side) + (3 * 9 * width * width * side * side) + (inputs * width * side * side);
        long expected = stem + stage1 + Stage(64, 128, 28) + Stage(128, 256, 14) + Stage(256, 512, 7) + (512 * 1000);
        Assert.AreEqual(expected, FlopsCounter.Dense(network.Description));
        Assert.AreEqual(1.814e9, expected, 1e6, "torchvision lists ResNet-18 at 1.81 GFLOPS (multiply-accumulates)");
    }

    [TestMethod]
    public void GoogLeNetAndVgg16_DenseFlops_MatchPublishedCounts()
    {
        using var googlenet = NetworkArchitecture.CifarGoogLeNet().Build(new ImageShape(3, 32, 32), 10, gated: false, seed: 1);
        // Paper Table 2: GoogLeNet on CIFAR-10, 1.52B FLOPs.
        Assert.AreEqual(1.52e9, FlopsCounter.Dense(googlenet.Description), 0.01e9);
        using var vgg = NetworkArchitecture.Vgg(VggLayout.Vgg16).Build(new ImageShape(3, 32, 32), 10, gated: false, seed: 1);
        // Network slimming's VGG-16 on CIFAR-10: 3.13e8 FLOPs. Hand count: 3×3 convs at 32, 16, 8, 4 and 2 pixels.
        long hand = 9L * ((3 * 64 * 1024) + (64 * 64 * 1024) + (64 * 128 * 256) + (128 * 128 * 256) + (128 * 256 * 64) + (2 * 256 * 256 * 64)
            + (256 * 512 * 16) + (2 * 512 * 512 * 16) + (3 * 512 * 512 * 4)) + (512 * 10);
        Assert.AreEqual(hand, FlopsCounter.Dense(vgg.Description));
        Assert.AreEqual(3.13e8, hand, 0.01e8);
    }

    [TestMethod]
    public void ForPath_SkipsClosedFiltersThroughResidualsAndConcatenations()
    {
        using var resnet = NetworkArchitecture.CifarResNet(20).Build(new ImageShape(3, 32, 32), 10, seed: 1);
        var layout = resnet.Description.PathLayout;
        long gates = layout.Layers.Sum(l => l.GateFlops);
        long stem = 9L * 3 * 16 * 1024;
        // All gates closed: only the stem, the gates and the head remain; the last conv reads only closed channels.
        Assert.AreEqual(stem + gates + 640, FlopsCounter.ForPath(resnet.Description, new float[layout.PathLength]));
        var open = Enumerable.Repeat(1f, layout.PathLength).ToArray();
        Assert.AreEqual(FlopsCounter.Dense(resnet.Description) + gates, FlopsCounter.ForPath(resnet.Description, open));
        // One block's conv1 open: its conv1 runs in full and conv2 reads its 16 channels but computes no filter.
        var one = new float[layout.PathLength];
        var conv1 = layout.Layers.Single(l => l.Name == "layer1.1.conv1");
        one.AsSpan(conv1.PathOffset, conv1.Filters).Fill(1f);
        Assert.AreEqual(stem + gates + 640 + (9L * 16 * 16 * 1024), FlopsCounter.ForPath(resnet.Description, one));

        using var googlenet = NetworkArchitecture.CifarGoogLeNet().Build(new ImageShape(3, 32, 32), 10, seed: 1);
        var g = googlenet.Description.PathLayout;
        var path = new float[g.PathLength];
        foreach (string name in new[] { "a3.b1.0", "b3.b1.0" })
        {
            var layer = g.Layers.Single(l => l.Name == name);
            path.AsSpan(layer.PathOffset, layer.Filters).Fill(1f);
        }

        // a3.b1.0 reads the ungated stem (192 channels); b3.b1.0 reads a3's concatenation, of which only a3.b1.0's 64 are open.
        long expected = (9L * 3 * 192 * 1024) + (192L * 64 * 1024) + (64L * 128 * 1024) + g.Layers.Sum(l => l.GateFlops) + (1024 * 10);
        Assert.AreEqual(expected, FlopsCounter.ForPath(googlenet.Description, path));
    }

    [TestMethod]
    [DataRow("resnet20", 1, 28, 28)]
    [DataRow("resnet18", 3, 40, 40)]
    [DataRow("googlenet", 3, 16, 16)]
    public void OnnxExport_MatchesTorchScoresAndPaths(string name, int channels, int height, int width)
    {
        var shape = new ImageShape(channels, height, width);
        using var network = NetworkArchitecture.Parse(name).Build(shape, 5, normalization: new InputNormalization(Enumerable.Repeat(0.4f, channels).ToArray(), Enumerable.Repeat(0.3f, channels).ToArray()), seed: 7);
        RandomizeGatesAndStatistics(network, seed: 8);
        network.eval();
        const int count = 6;
        var pixels = new float[count * shape.Size];
        var random = new Random(3);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)random.NextDouble();
        }

        var (scores, paths) = NetworkInference.Run(network, pixels, count);
        Assert.IsTrue(paths.Any(p => p == 0f) && paths.Any(p => p == 1f), "randomised gates open some filters and close others");
        using var session = new InferenceSession(DecoupledNetworkOnnxExporter.Export(network));
        var input = new DenseTensor<float>(pixels, [count, shape.Size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input)]);
        var onnxScores = results.Single(r => r.Name == "Score").AsEnumerable<float>().ToArray();
        var onnxPaths = results.Single(r => r.Name == "Path").AsEnumerable<float>().ToArray();
        TorchOnnxParity.Assert(network, pixels, count, onnxScores, onnxPaths, scoreTolerance: 1e-4f);
    }

    [TestMethod]
    [DataRow("resnet20", ".pt")]
    [DataRow("googlenet", ".safetensors")]
    [DataRow("vgg16", ".pth")]
    [DataRow("resnet18", ".safetensors")]
    public void PyTorchStateDict_WrittenAndLoaded_GivesIdenticalOutputs(string name, string extension)
    {
        var shape = new ImageShape(3, 32, 32);
        var architecture = NetworkArchitecture.Parse(name);
        string folder = Path.Combine(Path.GetTempPath(), $"decoupling-statedict-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            using var source = architecture.Build(shape, 10, seed: 11);
            RandomizeGatesAndStatistics(source, seed: 13);
            string file = Path.Combine(folder, "weights" + extension);
            Pretrained.StateDictFile.Write(file, source);

            using var target = architecture.Build(shape, 10, seed: 12);
            var report = Pretrained.PretrainedWeights.FromFile(file).ApplyWithReport(target);
            Assert.AreEqual(source.state_dict().Count, report.LoadedCount, "every parameter and buffer, gates included");

            var pixels = Enumerable.Range(0, 2 * shape.Size).Select(i => (float)((i * 7919 % 1000) / 1000.0)).ToArray();
            var (expectedScores, expectedPaths) = NetworkInference.Run(source, pixels, 2);
            var (scores, paths) = NetworkInference.Run(target, pixels, 2);
            CollectionAssert.AreEqual(expectedScores, scores);
            CollectionAssert.AreEqual(expectedPaths, paths);

            // A dense file initialises the gated network: gates keep their initialisation (W1 = 0).
            using var dense = architecture.Build(shape, 10, gated: false, seed: 14);
            string denseFile = Path.Combine(folder, "dense" + extension);
            Pretrained.StateDictFile.Write(denseFile, dense);
            using var gated = architecture.Build(shape, 10, seed: 15);
            var denseReport = Pretrained.PretrainedWeights.FromFile(denseFile).ApplyWithReport(gated);
            Assert.AreEqual(dense.state_dict().Count, denseReport.LoadedCount);
            Assert.IsTrue(denseReport.KeptInitialKeys.All(k => k.StartsWith("gates.") || k.StartsWith("path_classifiers.")));
            Assert.IsTrue(gated.Gates.All(g => g.Squeeze.weight!.abs().max().item<float>() == 0f));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void PretrainedWeights_OtherArchitecture_ListsTheMismatches()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"decoupling-statedict-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            using var resnet = NetworkArchitecture.CifarResNet(20).Build(new ImageShape(3, 32, 32), 10, gated: false, seed: 1);
            string file = Path.Combine(folder, "resnet20.pt");
            Pretrained.StateDictFile.Write(file, resnet);
            using var deeper = NetworkArchitecture.CifarResNet(32).Build(new ImageShape(3, 32, 32), 10, seed: 2);
            using var before = NewDisposeScope();
            var weight = deeper.state_dict()["conv1.weight"].clone();
            var ex = Assert.ThrowsExactly<Pretrained.PretrainedWeightsMismatchException>(() => Pretrained.PretrainedWeights.FromFile(file).ApplyTo(deeper));
            StringAssert.Contains(ex.Message, "layer1.3.conv1.weight", "a block the file does not have is listed");
            Assert.IsTrue(ex.MissingTargetKeys.Contains("layer3.4.bn2.running_var"));
            Assert.IsTrue(deeper.state_dict()["conv1.weight"].equal(weight).all().item<bool>(), "nothing is loaded on a mismatch");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Build_TooSmallInputOrBadName_IsRejected()
    {
        var small = Assert.ThrowsExactly<ArgumentException>(() => NetworkArchitecture.Vgg(VggLayout.Vgg16).Build(new ImageShape(3, 8, 8), 10, seed: 1));
        StringAssert.Contains(small.Message, "3×8×8");
        var depth = Assert.ThrowsExactly<ArgumentException>(() => NetworkArchitecture.Parse("resnet21", "Architecture"));
        Assert.AreEqual("Architecture", depth.ParamName);
        StringAssert.Contains(depth.Message, "6n+2");
        Assert.ThrowsExactly<ArgumentException>(() => NetworkArchitecture.Parse("alexnet"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => NetworkArchitecture.CifarResNet(21));
    }

    [TestMethod]
    public void Parse_ReadsWhatToStringWrites()
    {
        foreach (var architecture in new[] { NetworkArchitecture.Vgg("8,M,16,16"), NetworkArchitecture.Vgg(VggLayout.Vgg19), NetworkArchitecture.CifarResNet(110), NetworkArchitecture.ResNet18(), NetworkArchitecture.CifarGoogLeNet() })
        {
            Assert.AreEqual(architecture.ToString(), NetworkArchitecture.Parse(architecture.ToString()).ToString());
        }
    }

    /// <summary>Random gate weights centred so that some filters open, and non-trivial BatchNorm statistics.</summary>
    private static void RandomizeGatesAndStatistics(DecoupledNetwork network, int seed)
    {
        using var draws = SeededGenerator.Create(seed);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var gate in network.Gates)
        {
            gate.Squeeze.weight!.normal_(0, 1, draws);
            gate.Excite.weight!.normal_(0, 1, draws);
            gate.Squeeze.bias!.zero_();
            gate.Excite.bias!.normal_(0, 0.5, draws);
        }

        foreach (var (key, value) in network.state_dict())
        {
            if (key.EndsWith("running_mean"))
            {
                value.normal_(0, 0.1, draws);
            }
            else if (key.EndsWith("running_var"))
            {
                value.uniform_(0.5, 1.5, draws);
            }
        }
    }
}
