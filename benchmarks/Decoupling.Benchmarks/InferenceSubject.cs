using System.Globalization;
using Decoupling.Examples.Shared;
using Microsoft.ML.Decoupling.Analysis;
using Microsoft.ML.Decoupling.Compaction;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Training;

namespace Decoupling.Benchmarks;

/// <summary>
/// One network of the inference benchmark: the gated network, its dense twin (same weights, no gates), its compact
/// network, the images it is timed on, and the FLOPs of each variant (per image, mean over those images' paths).
/// </summary>
internal sealed class InferenceSubject : IDisposable
{
    /// <summary>The prefix of the networks that are trained on Fashion-MNIST (or loaded with --weights).</summary>
    public const string TrainedPrefix = "fmnist-";
    private const int UntrainedSamples = 64;
    private const int PoolImages = 256;
    private const int CalibrationImages = 256;
    private const int LargeInputImages = 64;
    private readonly Dictionary<string, double> _flops;

    private InferenceSubject(string name, DecoupledNetwork gated, DecoupledNetwork dense, CompactionResult compact, float[] pool, int poolCount, string origin)
    {
        Name = name;
        Gated = gated;
        Dense = dense;
        Compact = compact;
        Pool = pool;
        var (_, gatedPaths) = NetworkInference.Run(gated, pool, poolCount);
        var (_, compactPaths) = NetworkInference.Run(compact.Network, pool, poolCount);
        int length = gated.PathLayout.PathLength;
        double MeanForPath(DecoupledNetwork network, float[] paths) =>
            Enumerable.Range(0, poolCount).Average(i => (double)FlopsCounter.ForPath(network, paths.AsSpan(i * length, length)));
        long gates = gated.PathLayout.Layers.Sum(l => l.GateFlops);
        _flops = new Dictionary<string, double>
        {
            ["dense"] = FlopsCounter.Dense(dense),
            ["masked"] = FlopsCounter.Dense(gated) + gates,
            ["compact"] = compact.Flops.CompactComputed,
            ["skip"] = MeanForPath(gated, gatedPaths),
            ["compact + skip"] = MeanForPath(compact.Network, compactPaths),
        };
        var evaluation = compact.Evaluation!.Value;
        double open = gatedPaths.Average();
        var keptOpen = CompactionHeadroom.KeptOpenShares(gated, compact, compactPaths, poolCount);
        Note = string.Create(CultureInfo.InvariantCulture,
            $"{name} ({gated.Architecture}, {gated.Input}): {origin}; {open:P0} of the gated filters open per image on the timed images; compact keeps {compact.Layers.Sum(l => l.Kept)} of {length} gated filters, drops {compact.Layers.Count(l => l.GateDropped)} of {compact.Layers.Count} gates; "
            + $"{evaluation.ChangedPaths} of {evaluation.Images} evaluation images take another path in the compact network, predictions agree on {evaluation.PredictionAgreement:P1}; "
            + $"of the kept filters of the compact layers that keep a gate, {keptOpen.Whole:P0} open per image (per layer: lowest {keptOpen.Lowest:P0}, median {keptOpen.Median:P0}; what per-input skipping could still save); "
            + $"conv multiply-accumulates dense / compact {CompactionHeadroom.ConvolutionMacs(dense, 1) / CompactionHeadroom.ConvolutionMacs(compact.Network, 1):F2}×; with channel counts rounded up to ONNX Runtime's NCHWc block "
            + $"(8 with AVX2, 16 with AVX-512; {CompactionHeadroom.NchwcBlock} on this CPU) {CompactionHeadroom.ConvolutionMacs(dense, 8) / CompactionHeadroom.ConvolutionMacs(compact.Network, 8):F2}× and {CompactionHeadroom.ConvolutionMacs(dense, 16) / CompactionHeadroom.ConvolutionMacs(compact.Network, 16):F2}×.");
    }

    public string Name { get; }

    public DecoupledNetwork Gated { get; }

    public DecoupledNetwork Dense { get; }

    public CompactionResult Compact { get; }

    /// <summary>The images that are timed (and whose paths the FLOPs are counted on).</summary>
    public float[] Pool { get; }

    public string Note { get; private set; }

    /// <summary>Appends <paramref name="text"/> to <see cref="Note"/> (what a variant found before it was timed).</summary>
    public void AddNote(string text) => Note = $"{Note}; {text}";

    /// <summary>Multiply-accumulates per image of a variant: dense, masked (every filter plus the gates), compact, skip, compact + skip.</summary>
    public double Flops(string variant) => _flops[variant];

    /// <summary>Builds (and trains, loads or seeds) the network named on the command line; null when a data set is missing.</summary>
    public static InferenceSubject? Create(string name, InferenceArguments arguments, Action<string> log)
    {
        bool trained = name.StartsWith(TrainedPrefix, StringComparison.Ordinal);
        var architecture = NetworkArchitecture.Parse(trained ? name[TrainedPrefix.Length..] : name, "--networks");
        float[] calibration, pool;
        int calibrationCount;
        DecoupledNetwork gated;
        string origin;
        if (trained)
        {
            if (FashionMnist.FindDirectory() is null)
            {
                Console.Error.WriteLine($"Fashion-MNIST was not found (${FashionMnist.DirectoryEnvironmentVariable} or {FashionMnist.DefaultDirectory}); install it with `apt-get install dataset-fashion-mnist`.");
                return null;
            }

            var train = FashionMnist.Load(DataSplit.Train, limit: arguments.TrainLimit);
            var test = FashionMnist.Load(DataSplit.Test, limit: Math.Max(PoolImages, arguments.Batches.Max()));
            var shape = new ImageShape(train.Channels, train.Height, train.Width);
            gated = architecture.Build(shape, train.ClassNames.Count, gated: true, seed: arguments.Seed);
            if (arguments.Weights.TryGetValue(name, out string? path))
            {
                PretrainedWeights.FromFile(path).ApplyTo(gated);
                origin = $"weights from {Path.GetFileName(path)}";
            }
            else
            {
                log($"{name}: training {arguments.TrainEpochs} epoch(s) on {train.Count} images.");
                var settings = new TrainingSettings(arguments.TrainEpochs, 128, 0.1, 0.9, 1e-4, new LossWeights(0.5, 1, 0.05, 0.3), arguments.Seed);
                new DecouplingTrainer(settings, report => log($"{name}: {report}")).Train(gated, train);
                origin = string.Create(CultureInfo.InvariantCulture, $"trained {arguments.TrainEpochs} epoch(s) on {train.Count} Fashion-MNIST images (λm 0.5, λs 0.05, R 0.3), calibrated on them");
            }

            (calibration, calibrationCount) = (train.Pixels, train.Count);
            pool = test.Pixels;
        }
        else
        {
            var shape = new ImageShape(3, arguments.InputSize, arguments.InputSize);
            // At ImageNet sizes a quarter of the images keeps the set-up (calibration, evaluation, path FLOPs: four passes
            // through TorchSharp) to a few minutes.
            int images = arguments.InputSize > 64 ? LargeInputImages : CalibrationImages;
            gated = architecture.Build(shape, 10, gated: true, seed: arguments.Seed);
            float[] samples = RandomPixels.Uniform(UntrainedSamples * shape.Size, arguments.Seed);
            SeededPathDistribution.Apply(gated, samples, UntrainedSamples, arguments.SilentShare, arguments.OpenShare, arguments.Seed);
            (calibration, calibrationCount) = (RandomPixels.Uniform(images * shape.Size, arguments.Seed + 1), images);
            pool = RandomPixels.Uniform(Math.Max(images, arguments.Batches.Max()) * shape.Size, arguments.Seed + 2);
            origin = string.Create(CultureInfo.InvariantCulture, $"untrained, seeded paths: {arguments.SilentShare:P0} of each gated layer's filters silent, {arguments.OpenShare:P0} always open, the rest per image; calibrated on random images");
        }

        var dense = architecture.Build(gated.Input, gated.Classes, gated: false, seed: arguments.Seed);
        CopySharedWeights(gated, dense);
        int poolCount = pool.Length / gated.Input.Size;
        var compact = NetworkCompaction.Compact(gated, calibration, calibrationCount, pool, poolCount);
        return new InferenceSubject(name, gated, dense, compact, pool, poolCount, origin);
    }

    public void Dispose()
    {
        Compact.Dispose();
        Dense.Dispose();
        Gated.Dispose();
    }

    /// <summary>The dense twin: every conv, BatchNorm and head entry of the gated network (gates and path classifiers left out).</summary>
    private static void CopySharedWeights(DecoupledNetwork gated, DecoupledNetwork dense)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        var source = gated.state_dict();
        foreach (var (key, target) in dense.state_dict())
        {
            target.copy_(source[key]);
        }
    }
}
