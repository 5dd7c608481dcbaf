using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>Leave-one-out k-nearest-neighbour classification (squared Euclidean distance; Hamming distance on 0/1 paths).</summary>
internal static class NearestNeighborVote
{
    private const int RowsPerBlock = 512;

    /// <summary>
    /// Share of the <paramref name="count"/> points (rows of <paramref name="points"/>, <paramref name="width"/> values each)
    /// whose class is the majority class of their <paramref name="neighbors"/> nearest other points. Ties go to the lower
    /// class index, so the result is deterministic.
    /// </summary>
    public static double LeaveOneOutAccuracy(float[] points, int count, int width, int[] labels, int classes, int neighbors)
    {
        if (count < 2)
        {
            throw new ArgumentException("Leave-one-out k-NN needs at least two points.", nameof(count));
        }

        int k = Math.Min(neighbors, count - 1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // tensor() keeps a managed copy of its array: made before the no-GC section, so that it does not spend its budget.
        var x = tensor(points, new long[] { count, width }, float64);
        var labelTensor = tensor(labels, int64);
        // TorchSharp turns the numbers below into temporary scalars: no collection until their native calls have returned.
        using var collectionPause = Native.ScalarLifetimeGuard.Enter();
        var squaredNorms = x.square().sum(1);
        long correct = 0;
        for (int start = 0; start < count; start += RowsPerBlock)
        {
            using var blockScope = NewDisposeScope();
            int size = Math.Min(RowsPerBlock, count - start);
            var block = x.narrow(0, start, size);
            var distances = squaredNorms.narrow(0, start, size).unsqueeze(1) + squaredNorms.unsqueeze(0) - (2 * block.matmul(x.t()));
            // A point is not its own neighbour.
            var self = arange(start, start + size, int64).unsqueeze(1);
            distances = distances.scatter(1, self, full(new long[] { size, 1 }, double.PositiveInfinity, float64));
            var nearest = distances.topk(k, dim: 1, largest: false).indexes;
            var votes = nn.functional.one_hot(labelTensor[nearest], classes).sum(1);
            var predicted = votes.argmax(1);
            correct += predicted.eq(labelTensor.narrow(0, start, size)).sum().item<long>();
        }

        return (double)correct / count;
    }
}
