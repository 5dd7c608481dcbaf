using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Seeding;
using Microsoft.ML.OnnxRuntime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// Compacts untrained networks of every architecture whose gates were made input-dependent, with chosen filters forced
/// silent or energetic, and checks the compact network (TorchSharp and ONNX) against the gated one.
/// </summary>
[TestClass]
public sealed class NetworkCompactionTests
{
    private const int CalibrationCount = 24;
    private const int EvaluationCount = 32;
    private const float ScoreTolerance = 1e-4f;

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Architectures => SmallArchitectures.All;

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void Compact_MatchesGatedNetwork_InTorchAndOnnx(string architecture, int channels, int size)
    {
        var shape = new ImageShape(channels, size, size);
        float[] pixels = RandomPixels(shape, EvaluationCount, seed: 3);
        using var gated = NetworkArchitecture.Parse(architecture).Build(shape, 10, seed: 7);
        ForceGateStates(gated, pixels, EvaluationCount, seed: 8);

        using var result = NetworkCompaction.Compact(gated, pixels.AsSpan(0, CalibrationCount * shape.Size).ToArray(), CalibrationCount, pixels, EvaluationCount);

        // The planned layers: the first loses its gate and the filters forced silent, the second is all silent.
        var layout = gated.Description.PathLayout;
        var first = result.Layers[0];
        Assert.IsTrue(first.GateDropped, "Every remaining filter of the first gated layer is always open.");
        Assert.AreEqual(first.Filters - ((first.Filters + 2) / 3), first.Kept);
        Assert.IsTrue(result.Layers[1].AllSilent);
        Assert.AreEqual(1, result.Layers[1].Kept);
        Assert.AreEqual(layout.PathLength, result.Network.Description.PathLayout.PathLength, "The Path output keeps its full length.");

        // TorchSharp: compact against gated on every evaluation image whose path the compact network reproduces.
        var (gatedScores, gatedPaths) = NetworkInference.Run(gated, pixels, EvaluationCount);
        var reproduced = Enumerable.Range(0, EvaluationCount)
            .Where(i => result.Reproduces(gatedPaths.AsSpan(i * layout.PathLength, layout.PathLength))).ToArray();
        Assert.AreEqual(EvaluationCount - result.Evaluation!.Value.ChangedPaths, reproduced.Length);
        Assert.IsGreaterThanOrEqualTo(CalibrationCount, reproduced.Length, "Every calibration path is reproduced by construction.");
        float[] kept = Rows(pixels, shape.Size, reproduced);
        var (compactScores, compactPaths) = NetworkInference.Run(result.Network, kept, reproduced.Length);
        int compared = TorchOnnxParity.Assert(gated, kept, reproduced.Length, compactScores, compactPaths, ScoreTolerance);
        Assert.IsGreaterThanOrEqualTo(reproduced.Length * 0.9, compared, "Nearly every reproduced image takes the same path in both networks.");

        // FLOPs: counted from the compact modules' weights, and per path against the gated network's count.
        Assert.AreEqual(CountFromWeights(result.Network), FlopsCounter.Dense(result.Network.Description));
        long gatedGates = layout.Layers.Sum(l => l.GateFlops);
        long compactGates = result.Network.Description.PathLayout.Layers.Sum(l => l.GateFlops);
        Assert.IsLessThan(gatedGates, compactGates);
        // FlopsCounter counts the head densely; the compact head has lost the inputs of removed filters (GoogLeNet's last concatenation).
        long headSaving = (long)(gated.Description.HeadInputs - result.Network.Description.HeadInputs) * gated.Classes;
        for (int i = 0; i < CalibrationCount; i++)
        {
            var path = gatedPaths.AsSpan(i * layout.PathLength, layout.PathLength);
            Assert.AreEqual(FlopsCounter.ForPath(gated.Description, path) - gatedGates + compactGates - headSaving, FlopsCounter.ForPath(result.Network.Description, path), $"image {i}");
        }

        Assert.IsLessThan(FlopsCounter.Dense(gated.Description), result.Flops.CompactComputed);

        // ONNX Runtime: the compact graph against the compact TorchSharp network.
        using var session = new InferenceSession(DecoupledNetworkOnnxExporter.Export(result.Network));
        var (onnxScores, onnxPaths) = RunOnnx(session, kept, reproduced.Length, shape.Size);
        int onnxCompared = TorchOnnxParity.Assert(result.Network, kept, reproduced.Length, onnxScores, onnxPaths, ScoreTolerance);
        Assert.IsGreaterThanOrEqualTo(reproduced.Length * 0.9, onnxCompared, "Nearly every image takes the same path in both runtimes.");
        Assert.IsLessThanOrEqualTo(1e-5f, onnxScores.Zip(compactScores, (a, b) => Math.Abs(a - b)).Max(), "ONNX and TorchSharp scores of the compact network.");
        // The graph form: the path is placed by one Gather, not by a MatMul per layer.
        var nodes = global::Onnx.ModelProto.Parser.ParseFrom(DecoupledNetworkOnnxExporter.Export(result.Network)).Graph.Node;
        Assert.AreEqual(0, nodes.Count(n => n.OpType == "MatMul"), "No per-layer path placement.");
        Assert.AreEqual(1, nodes.Count(n => n.OpType == "Gather" && n.Output.Contains("Path")), "One Gather places the whole path.");

        // Channel alignment (default 8): the zero filters change neither the scores nor the path of the unaligned graph.
        byte[] alignedModel = DecoupledNetworkOnnxExporter.Export(result.Network);
        byte[] unalignedModel = DecoupledNetworkOnnxExporter.Export(result.Network, new OnnxExportOptions { ChannelAlignment = 1 });
        using var unalignedSession = new InferenceSession(unalignedModel);
        var (unalignedScores, unalignedPaths) = RunOnnx(unalignedSession, kept, reproduced.Length, shape.Size);
        CollectionAssert.AreEqual(onnxPaths, unalignedPaths, "The unaligned graph's paths.");
        Assert.IsLessThanOrEqualTo(1e-5f, unalignedScores.Zip(onnxScores, (a, b) => Math.Abs(a - b)).Max(), "Unaligned against aligned ONNX scores.");
        Assert.IsGreaterThan(AlignedConvolutions(unalignedModel, 8), AlignedConvolutions(alignedModel, 8), "Some compact conv got zero filters.");
        // Every conv computes the compact network's filters (a conv feeding a residual sum too: its kept ones, not the full
        // width); aligned, at most rounded up to 8.
        var unalignedFilters = ConvolutionFilters(unalignedModel);
        var alignedFilters = ConvolutionFilters(alignedModel);
        foreach (var conv in result.Network.Description.Convolutions)
        {
            Assert.AreEqual(conv.Filters, unalignedFilters[conv.Name], $"{conv.Name}: the unaligned graph's filter count.");
            long aligned = alignedFilters[conv.Name];
            Assert.IsTrue(aligned == conv.Filters || aligned == (conv.Filters + 7L) / 8 * 8, $"{conv.Name}: {aligned} filters in the aligned graph for {conv.Filters}.");
        }
        Assert.IsTrue(result.Network.IsCompact);
        TestContext.WriteLine(
            $"{architecture}: kept {result.Layers.Sum(l => l.Kept)} of {layout.PathLength} gated filters, {result.Layers.Count(l => l.GateDropped)} gates dropped; "
            + $"FLOPs dense {result.Flops.Dense}, gated per path {result.Flops.GatedPerPath:F0}, compact computed {result.Flops.CompactComputed}, compact per path {result.Flops.CompactPerPath:F0}; "
            + $"{reproduced.Length}/{EvaluationCount} paths reproduced, {compared} compared; max score diff torch {MaxDifference(gatedScores, compactScores, reproduced, gated.Classes):E2}, "
            + $"evaluation: agreement {result.Evaluation!.Value.PredictionAgreement:P1}, max diff {result.Evaluation!.Value.MaxScoreDifference:E2}; "
            + $"ONNX against compact torch: {onnxCompared} compared, max score diff {onnxScores.Zip(compactScores, (a, b) => Math.Abs(a - b)).Max():E2}, "
            + $"gated against compact ONNX: max score diff {MaxDifference(gatedScores, onnxScores, reproduced, gated.Classes):E2}.");
    }

    /// <summary>The filter count of every conv of the graph, by layer name (the exporter names a conv node "&lt;layer&gt;.conv").</summary>
    private static Dictionary<string, long> ConvolutionFilters(byte[] model)
    {
        var graph = global::Onnx.ModelProto.Parser.ParseFrom(model).Graph;
        var convs = graph.Node.Where(n => n.OpType == "Conv").ToDictionary(n => n.Input[1], n => n.Name[..^".conv".Length]);
        return graph.Initializer.Where(i => convs.ContainsKey(i.Name)).ToDictionary(i => convs[i.Name], i => i.Dims[0]);
    }

    /// <summary>Convs of the graph whose filter count is a multiple of <paramref name="alignment"/>.</summary>
    private static int AlignedConvolutions(byte[] model, int alignment)
    {
        var graph = global::Onnx.ModelProto.Parser.ParseFrom(model).Graph;
        var weights = graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Input[1]).ToHashSet();
        return graph.Initializer.Count(i => weights.Contains(i.Name) && i.Dims[0] % alignment == 0);
    }

    [TestMethod]
    public void Compact_PathOpeningARemovedFilter_IsCountedAsChanged()
    {
        var shape = new ImageShape(1, 12, 12);
        using var gated = NetworkArchitecture.Vgg("4,8,8,4").Build(shape, 3, seed: 2);
        using var result = NetworkCompaction.Compact(gated, RandomPixels(shape, 4, seed: 1), 4);
        // Freshly initialised gates are independent of the input: every filter is silent or energetic, so every layer
        // either loses its gate or keeps only silent filters.
        Assert.IsTrue(result.Layers.All(l => l.GateDropped || l.AllSilent));
        var layout = gated.Description.PathLayout;
        var (_, paths) = NetworkInference.Run(gated, RandomPixels(shape, 1, seed: 1), 1);
        Assert.IsTrue(result.Reproduces(paths));
        var layer = result.Layers.Select((l, i) => (l, i)).First(p => p.l.GateDropped);
        paths[layout.Layers[layer.i].PathOffset] = 1 - paths[layout.Layers[layer.i].PathOffset];
        Assert.IsFalse(result.Reproduces(paths), "A gate-dropped filter that closes changes the path.");
    }

    [TestMethod]
    public void Train_CompactNetwork_ThrowsNamingTheNetwork()
    {
        var shape = new ImageShape(1, 8, 8);
        using var gated = NetworkArchitecture.Vgg("4,8,4").Build(shape, 3, seed: 2);
        float[] pixels = RandomPixels(shape, 4, seed: 1);
        using var result = NetworkCompaction.Compact(gated, pixels, 4);
        var trainer = new Training.DecouplingTrainer(new Training.TrainingSettings(
            Epochs: 1, BatchSize: 4, LearningRate: 0.1, Momentum: 0.9, WeightDecay: 0,
            Weights: new Training.LossWeights(MutualInformation: 0, KullbackLeibler: 1, Sparsity: 0.01, TargetRatio: 0.5), Seed: 1));

        var exception = Assert.ThrowsExactly<ArgumentException>(() => trainer.Train(result.Network, pixels, [0, 1, 2, 0]));
        Assert.AreEqual("network", exception.ParamName);
    }

    [TestMethod]
    public void Compact_DenseNetwork_ThrowsNamingTheNetwork()
    {
        var shape = new ImageShape(1, 8, 8);
        using var dense = NetworkArchitecture.Vgg("4,8,4").Build(shape, 3, gated: false, seed: 2);
        var exception = Assert.ThrowsExactly<ArgumentException>(() => NetworkCompaction.Compact(dense, RandomPixels(shape, 2, seed: 1), 2));
        Assert.AreEqual("network", exception.ParamName);
    }

    /// <summary>
    /// Random gates centred on the images (one forward pass for all gates, cheaper than <see cref="InputDependentGates"/>
    /// for deep networks), then in gated layer 0 every third filter silent and the rest energetic, layer 1 all silent,
    /// and in the others every fourth filter silent and the next one energetic.
    /// </summary>
    private static void ForceGateStates(DecoupledNetwork network, float[] pixels, int count, int seed)
    {
        Native.ConvolutionSelfCheck.EnsureCorrectFor(network.Device);
        using var draws = SeededGenerator.Create(seed);
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var gate in network.Gates)
        {
            gate.Squeeze.weight!.normal_(0, 1, draws);
            gate.Excite.weight!.normal_(0, 1, draws);
            gate.Squeeze.bias!.zero_();
            gate.Excite.bias!.zero_();
        }

        var logits = network.forward(tensor(pixels).view(count, -1)).GateLogits;
        for (int l = 0; l < network.Gates.Count; l++)
        {
            var gate = network.Gates[l];
            // Centred logits keep about half of the filters open per image; a filter whose logit is the same for every
            // image is opened (see InputDependentGates).
            gate.Excite.bias!.sub_(logits[l].mean([0]));
            var constant = (logits[l].amax([0]) - logits[l].amin([0])) < 10 * TorchOnnxParity.GateMargin;
            gate.Excite.bias.add_(constant.to_type(ScalarType.Float32));
            for (int f = 0; f < gate.Filters; f++)
            {
                int state = l switch
                {
                    0 => f % 3 == 0 ? -1 : 1,
                    1 => -1,
                    _ => f % 4 == 0 ? -1 : f % 4 == 1 ? 1 : 0,
                };
                if (state != 0)
                {
                    gate.Excite.weight[f].zero_();
                    gate.Excite.bias[f] = state;
                }
            }
        }
    }

    /// <summary>Multiply-accumulates read off the compact modules: k²·inputs·filters·H·W per conv (weight shapes), plus the head.</summary>
    private static long CountFromWeights(DecoupledNetwork network)
    {
        long total = 0;
        foreach (var conv in network.Description.Convolutions)
        {
            var module = (Conv2d)network.named_modules().First(m => m.name == conv.Name).module;
            total += module.weight!.numel() * conv.OutputHeight * conv.OutputWidth;
        }

        return total + network.Program.Head.weight!.numel();
    }

    private static float[] RandomPixels(ImageShape shape, int count, int seed) =>
        global::Decoupling.Examples.Shared.RandomPixels.Uniform(count * shape.Size, seed);

    private static float[] Rows(float[] values, int width, int[] rows) =>
        rows.SelectMany(r => values.AsSpan(r * width, width).ToArray()).ToArray();

    private static double MaxDifference(float[] gatedScores, float[] compactScores, int[] rows, int classes)
    {
        double max = 0;
        for (int j = 0; j < rows.Length; j++)
        {
            for (int c = 0; c < classes; c++)
            {
                max = Math.Max(max, Math.Abs(gatedScores[(rows[j] * classes) + c] - compactScores[(j * classes) + c]));
            }
        }

        return max;
    }

    private static (float[] Scores, float[] Paths) RunOnnx(InferenceSession session, float[] pixels, int count, int imageSize)
    {
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, imageSize]);
        using var outputs = session.Run(runOptions, [DecouplingColumnNames.Image], [input], [DecouplingColumnNames.Score, DecouplingColumnNames.Path]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }
}
