using System.Diagnostics;
using Microsoft.ML.Decoupling.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>Trains a <see cref="DecoupledVggNetwork"/> on in-memory images with the decoupling objective.</summary>
public sealed class DecouplingTrainer
{
    private readonly TrainingSettings _settings;
    private readonly Action<EpochReport>? _onEpoch;
    private readonly Action<string>? _onProgress;

    /// <summary>Creates a trainer; <paramref name="onEpoch"/> receives each epoch's averages, <paramref name="onProgress"/> a line every ~10% of an epoch.</summary>
    public DecouplingTrainer(TrainingSettings settings, Action<EpochReport>? onEpoch = null, Action<string>? onProgress = null)
    {
        _settings = settings;
        _onEpoch = onEpoch;
        _onProgress = onProgress;
    }

    /// <summary>Runs all epochs. <paramref name="pixels"/> holds count×(C·H·W) values, <paramref name="labels"/> 0-based classes.</summary>
    public IReadOnlyList<EpochReport> Train(DecoupledVggNetwork network, float[] pixels, int[] labels, CancellationToken cancellation = default)
    {
        int count = labels.Length;
        int imageSize = pixels.Length / Math.Max(1, count);
        // The seed drives the shuffling (here) and torch's generator (gate noise, hard/soft choice).
        manual_seed(_settings.Seed);
        var random = new Random(_settings.Seed);
        var order = Enumerable.Range(0, count).ToArray();
        var reports = new List<EpochReport>();
        using var optimizer = optim.SGD(network.parameters(), _settings.LearningRate, momentum: _settings.Momentum, weight_decay: _settings.WeightDecay);
        int batches = (count + _settings.BatchSize - 1) / _settings.BatchSize;
        network.train();

        for (int epoch = 0; epoch < _settings.Epochs; epoch++)
        {
            double rate = _settings.LearningRateAt(epoch);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = rate;
            }

            random.Shuffle(order);
            var clock = Stopwatch.StartNew();
            var sums = new double[6];
            long correct = 0;
            for (int b = 0; b < batches; b++)
            {
                cancellation.ThrowIfCancellationRequested();
                int start = b * _settings.BatchSize;
                int size = Math.Min(_settings.BatchSize, count - start);
                var (batchPixels, batchLabels) = Gather(pixels, labels, imageSize, order.AsSpan(start, size));

                using var scope = NewDisposeScope();
                var input = tensor(batchPixels, new long[] { size, imageSize });
                var target = tensor(batchLabels, new long[] { size });
                optimizer.zero_grad();
                var output = network.forward(input);
                var terms = DecouplingObjective.Compute(network, output, target, _settings.Weights);
                terms.Total.backward();
                optimizer.step();

                sums[0] += terms.CrossEntropy.item<float>() * size;
                sums[1] += terms.MutualInformation.item<float>() * size;
                sums[2] += terms.KullbackLeibler.item<float>() * size;
                sums[3] += terms.Sparsity.item<float>() * size;
                sums[4] += terms.Total.item<float>() * size;
                sums[5] += output.Gates.Count == 0 ? size : output.Path().mean().item<float>() * size;
                correct += output.Logits.argmax(1).eq(target).sum().item<long>();

                if (_onProgress is not null && (b + 1) % Math.Max(1, batches / 10) == 0 && b + 1 < batches)
                {
                    _onProgress($"epoch {epoch + 1}/{_settings.Epochs}: batch {b + 1}/{batches}, loss {sums[4] / (start + size):F4}");
                }
            }

            var report = new EpochReport(
                epoch + 1, _settings.Epochs, rate,
                sums[0] / count, sums[1] / count, sums[2] / count, sums[3] / count, sums[4] / count,
                (double)correct / count, sums[5] / count, clock.Elapsed.TotalSeconds);
            reports.Add(report);
            _onEpoch?.Invoke(report);
        }

        network.eval();
        return reports;
    }

    private static (float[] Pixels, long[] Labels) Gather(float[] pixels, int[] labels, int imageSize, ReadOnlySpan<int> indices)
    {
        var batchPixels = new float[indices.Length * imageSize];
        var batchLabels = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Array.Copy(pixels, (long)indices[i] * imageSize, batchPixels, (long)i * imageSize, imageSize);
            batchLabels[i] = labels[indices[i]];
        }

        return (batchPixels, batchLabels);
    }
}
