using System.Diagnostics;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Seeding;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// Trains a <see cref="DecoupledNetwork"/> (gated or dense) with the decoupling objective, on images in memory (the public
/// overloads) or, through the estimator, in a disk cache read batch by batch (see
/// <see cref="Transforms.DecoupleNetworkEstimator.Options.TrainingDataInMemoryLimitMegabytes"/>).
/// </summary>
internal sealed class DecouplingTrainer
{
    private readonly TrainingSettings _settings;
    private readonly Action<EpochReport>? _onEpoch;
    private readonly Action<string>? _onProgress;

    /// <summary>Creates a trainer; <paramref name="onEpoch"/> receives each epoch's averages, <paramref name="onProgress"/> a line every ~10% of an epoch.</summary>
    public DecouplingTrainer(TrainingSettings settings, Action<EpochReport>? onEpoch = null, Action<string>? onProgress = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        _onEpoch = onEpoch;
        _onProgress = onProgress;
    }

    /// <summary>Runs the epochs on <paramref name="data"/> (see the other overload).</summary>
    public IReadOnlyList<EpochReport> Train(DecoupledNetwork network, Data.ImageDataset data, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        RequireShape(network, data);
        return Train(network, data.Pixels, data.Labels, cancellation);
    }

    internal static void RequireShape(DecoupledNetwork network, Data.ImageDataset data, string parameter = "data")
    {
        ArgumentNullException.ThrowIfNull(network);
        if (data.Channels != network.Channels || data.Height != network.Height || data.Width != network.Width)
        {
            throw new ArgumentException($"The images are {data.Channels}×{data.Height}×{data.Width}; the network takes {network.Input}.", parameter);
        }
    }

    /// <summary>
    /// Runs the epochs (resuming from <see cref="TrainingSettings.CheckpointPath"/> when that file exists) and returns the
    /// report of every epoch of the run, resumed ones included. <paramref name="pixels"/> holds count×(C·H·W) values,
    /// <paramref name="labels"/> 0-based classes.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled; the network keeps the
    /// weights of the last finished batch and the checkpoint those of the last finished epoch.</exception>
    /// <exception cref="TrainingDivergedException">A loss term, the gradient norm or a weight became NaN or infinite; the
    /// checkpoint keeps the last finished epoch.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is corrupt or belongs to another run (settings, data or normalisation).</exception>
    public IReadOnlyList<EpochReport> Train(DecoupledNetwork network, float[] pixels, int[] labels, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        int count = labels.Length;
        int imageSize = network.Input.Size;
        if (count == 0 || pixels.Length != (long)count * imageSize)
        {
            throw new ArgumentException($"Expected {count}×{imageSize} pixel values for {count} labelled {network.Input} images, got {pixels.Length}.", nameof(pixels));
        }

        using var images = new InMemoryTrainingImages(pixels, labels, network.Input);
        return Train(network, images, cancellation);
    }

    /// <summary>Runs the epochs on <paramref name="images"/>, in memory or in a disk cache (see the public overloads).</summary>
    internal IReadOnlyList<EpochReport> Train(DecoupledNetwork network, TrainingImages images, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.IsCompact)
        {
            throw new ArgumentException("The network is a compact network (NetworkCompaction), which is for inference only; train the gated network and compact it again.", nameof(network));
        }

        int count = images.Count;
        if (count == 0 || images.Shape != network.Input)
        {
            throw new ArgumentException($"Expected labelled {network.Input} images; got {count} images of {images.Shape}.", nameof(images));
        }

        // The batch buffer is one .NET array: with a disk cache the data may exceed 2^31 values, a batch may not.
        long batchValues = (long)Math.Min(_settings.BatchSize, count) * network.Input.Size;
        if (batchValues > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(TrainingSettings.BatchSize), _settings.BatchSize,
                $"{nameof(TrainingSettings.BatchSize)} {_settings.BatchSize} of {network.Input} images is {batchValues} values, more than one array holds; use at most {Array.MaxLength / network.Input.Size}.");
        }

        if (_settings.CheckpointPath is { } checkpointPath)
        {
            TrainingCheckpoint.RequireWritable(checkpointPath, nameof(TrainingSettings.CheckpointPath));
        }

        var device = _settings.Device ?? CPU;
        Native.ConvolutionSelfCheck.EnsureCorrectFor(device, _onProgress);

        network.to(device);
        var reports = new List<EpochReport>();
        using var optimizer = optim.SGD(network.parameters(), _settings.LearningRate, momentum: _settings.Momentum, weight_decay: _settings.WeightDecay);
        int firstEpoch = 0;
        string? dataHash = _settings.CheckpointPath is null ? null : images.DataHash;
        int batches = (count + _settings.BatchSize - 1) / _settings.BatchSize;
        if (_settings.CheckpointPath is { } checkpoint && File.Exists(checkpoint))
        {
            // Check the run before anything is loaded: a refused checkpoint leaves the network as it was.
            var saved = TrainingCheckpoint.ReadHeader(checkpoint).Header;
            TrainingCheckpoint.RequireSameRun(checkpoint, saved, _settings, count, dataHash!, network.Normalization);
            RequireWithinMaximumSteps(checkpoint, saved.CompletedEpochs, batches);
            var header = TrainingCheckpoint.Load(checkpoint, network, optimizer);
            firstEpoch = header.CompletedEpochs;
            reports.AddRange(header.History);
            _onProgress?.Invoke($"resumed from checkpoint '{checkpoint}' after epoch {firstEpoch}/{_settings.Epochs}");
        }

        network.train();
        for (int epoch = firstEpoch; epoch < _settings.Epochs; epoch++)
        {
            int batchesToRun = BatchesToRun(epoch, batches);
            if (batchesToRun == 0)
            {
                break;
            }

            var report = RunEpoch(network, optimizer, images, epoch, batches, batchesToRun, device, cancellation);
            reports.Add(report);
            if (_settings.CheckpointPath is { } path && batchesToRun == batches)
            {
                // A checkpoint holds whole epochs: an epoch cut short by MaximumSteps is not saved.
                TrainingCheckpoint.Save(path, network, optimizer, Header(network, epoch + 1, count, dataHash, reports));
            }

            _onEpoch?.Invoke(report);
        }

        network.eval();
        return reports;
    }

    /// <summary>
    /// The batches 0-based <paramref name="epoch"/> runs: all of them, or those left before
    /// <see cref="TrainingSettings.MaximumSteps"/> (counted from the first epoch, resumed ones included).
    /// </summary>
    private int BatchesToRun(int epoch, int batches) => _settings.MaximumSteps is { } maximum
        ? (int)Math.Clamp(maximum - ((long)epoch * batches), 0, batches)
        : batches;

    private void RequireWithinMaximumSteps(string checkpoint, int completedEpochs, int batches)
    {
        if (_settings.MaximumSteps is { } maximum && (long)completedEpochs * batches > maximum)
        {
            throw new InvalidDataException(
                $"Checkpoint '{checkpoint}' holds {completedEpochs} epochs of {batches} steps, more than the {maximum} steps of MaximumSteps; it cannot be resumed by this run. Delete it or use another checkpoint path.");
        }
    }

    private EpochReport RunEpoch(
        DecoupledNetwork network, TorchSharp.Modules.SGD optimizer, TrainingImages images, int epoch, int batches, int batchesToRun, Device device, CancellationToken cancellation)
    {
        int count = images.Count;
        int imageSize = network.Input.Size;
        double rate = _settings.LearningRateAt(epoch);
        var weights = _settings.Weights.AtEpoch(epoch);
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = rate;
        }

        // Everything random in an epoch derives from (seed, epoch): resuming at an epoch boundary replays it exactly.
        // The gate noise comes from a generator of the epoch's own, never torch's process-wide one, so fits running
        // side by side in one process draw what they would alone.
        int epochSeed = _settings.EpochSeed(epoch);
        using var gateNoise = SeededGenerator.Create(epochSeed);
        var random = new Random(epochSeed);
        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        var augmentation = _settings.Augmentation is { IsActive: true } a ? a : null;

        var clock = Stopwatch.StartNew();
        var pathQuality = network.IsGated ? new PathQualityTally(network.Description.PathLayout) : null;
        var sums = new double[6];
        long correct = 0;
        int seen = 0;
        var batchPixels = new float[Math.Min(_settings.BatchSize, count) * imageSize];
        var batchLabels = new long[Math.Min(_settings.BatchSize, count)];
        var source = augmentation is null ? null : new float[imageSize];
        for (int b = 0; b < batchesToRun; b++)
        {
            cancellation.ThrowIfCancellationRequested();
            int start = b * _settings.BatchSize;
            int size = Math.Min(_settings.BatchSize, count - start);
            Gather(images, order.AsSpan(start, size), batchPixels, batchLabels, augmentation, source, random);

            var stats = TrainingStep.Run(network, optimizer, batchPixels.AsSpan(0, size * imageSize), batchLabels.AsSpan(0, size), weights, device, gateNoise, _settings.GradientClipNorm, (epoch + 1, b + 1), pathQuality);
            for (int i = 0; i < 6; i++)
            {
                sums[i] += stats[i] * size;
            }

            correct += (long)stats[6];
            seen += size;

            if (_onProgress is not null && (b + 1) % Math.Max(1, batches / 10) == 0 && b + 1 < batchesToRun)
            {
                _onProgress($"epoch {epoch + 1}/{_settings.Epochs}: batch {b + 1}/{batches}, loss {sums[4] / seen:F4}");
            }
        }

        // An epoch cut short by MaximumSteps averages over the batches it ran.
        return new EpochReport(
            epoch + 1, _settings.Epochs, rate,
            sums[0] / seen, sums[1] / seen, sums[2] / seen, sums[3] / seen, sums[4] / seen,
            (double)correct / seen, sums[5] / seen, clock.Elapsed.TotalSeconds,
            pathQuality?.DynamicShare ?? 0, pathQuality?.DistinctPathShare ?? 0, pathQuality?.ClassifierAccuracy ?? 0);
    }

    private CheckpointHeader Header(DecoupledNetwork network, int completedEpochs, int count, string? dataHash, IReadOnlyList<EpochReport> history) => new(
        network.Architecture, network.Input, network.Classes, network.IsGated, completedEpochs,
        _settings.Epochs, _settings.BatchSize, _settings.LearningRate, _settings.Momentum, _settings.WeightDecay,
        _settings.Weights, _settings.Seed, _settings.Augmentation, _settings.GradientClipNorm, count, dataHash, network.Normalization, history.ToArray(), _settings.Start, network.GateReduction, network.ConvolutionBias);

    private static void Gather(
        TrainingImages images, ReadOnlySpan<int> indices, float[] batchPixels, long[] batchLabels, ImageAugmentation? augmentation, float[]? source, Random random)
    {
        var shape = images.Shape;
        int imageSize = shape.Size;
        for (int i = 0; i < indices.Length; i++)
        {
            var target = batchPixels.AsSpan(i * imageSize, imageSize);
            if (augmentation is null)
            {
                images.ReadImage(indices[i], target);
            }
            else
            {
                images.ReadImage(indices[i], source!);
                augmentation.Apply(source!, target, shape.Channels, shape.Height, shape.Width, random);
            }

            batchLabels[i] = images.Label(indices[i]);
        }
    }
}
