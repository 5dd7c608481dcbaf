namespace Microsoft.ML.Decoupling.Analysis.Embedding;

/// <summary>
/// Exact t-SNE (van der Maaten and Hinton, 2008; the optimiser of scikit-learn's exact method): Gaussian affinities
/// calibrated to a perplexity by bisection and symmetrised, Student-t similarities in 2-D, gradient descent with
/// momentum, per-coordinate gains and early exaggeration. No served .NET package does t-SNE.
/// </summary>
/// <remarks>
/// Written on plain arrays rather than TorchSharp tensors: a step is ~30 small tensor operations, and their overhead
/// made a step take 42 ms for 150 points on the 2-core build machine; the loops below take well under 1 ms there.
/// Rows are processed in parallel, each row by one thread in a fixed order, so results do not depend on scheduling.
/// </remarks>
internal static class Tsne
{
    private const int BisectionSteps = 64;
    private const int ProgressEvery = 50;
    private const double MinimumGain = 0.01;
    private const double Tiny = 1e-12;

    /// <summary>Embeds the <paramref name="count"/> rows of <paramref name="points"/> (row-major, <paramref name="width"/> values each) in 2-D.</summary>
    public static float[] Embed(double[] points, int count, int width, TsneOptions options, IProgress<AnalysisProgress>? progress, CancellationToken cancellationToken)
    {
        int n = count;
        var p = JointAffinities(points, n, width, Math.Min(options.Perplexity, (n - 1) / 3.0));

        var random = Seeding.SeededRandom.ForStream(options.Seed, 1);
        var y = new double[n * 2];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = 1e-4 * random.NextGaussian();
        }

        var update = new double[n * 2];
        var gains = new double[n * 2];
        Array.Fill(gains, 1.0);
        var gradient = new double[n * 2];
        var w = new double[(long)n * n];
        var rowSums = new double[n];
        double rate = options.LearningRate ?? Math.Max(n / options.EarlyExaggeration / 4.0, 50.0);
        for (int step = 0; step < options.Iterations; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool early = step < options.ExaggerationIterations;
            double exaggeration = early ? options.EarlyExaggeration : 1.0;
            double momentum = early ? 0.5 : 0.8;

            // Student-t kernel w_ij = 1 / (1 + |y_i − y_j|²); Q = w / Σw.
            Parallel.For(0, n, i =>
            {
                double sum = 0, yi0 = y[2 * i], yi1 = y[(2 * i) + 1];
                long row = (long)i * n;
                for (int j = 0; j < n; j++)
                {
                    double d0 = yi0 - y[2 * j], d1 = yi1 - y[(2 * j) + 1];
                    double value = j == i ? 0 : 1.0 / (1.0 + (d0 * d0) + (d1 * d1));
                    w[row + j] = value;
                    sum += value;
                }

                rowSums[i] = sum;
            });
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                total += rowSums[i];
            }

            // ∂C/∂y_i = 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j).
            Parallel.For(0, n, i =>
            {
                double g0 = 0, g1 = 0, yi0 = y[2 * i], yi1 = y[(2 * i) + 1];
                long row = (long)i * n;
                for (int j = 0; j < n; j++)
                {
                    double q = Math.Max(w[row + j] / total, Tiny);
                    double strength = ((exaggeration * p[row + j]) - q) * w[row + j];
                    g0 += strength * (yi0 - y[2 * j]);
                    g1 += strength * (yi1 - y[(2 * j) + 1]);
                }

                gradient[2 * i] = 4 * g0;
                gradient[(2 * i) + 1] = 4 * g1;
            });

            for (int k = 0; k < y.Length; k++)
            {
                // Delta-bar-delta gains: grow where the gradient points against the last update, shrink where it agrees.
                gains[k] = (gradient[k] > 0) == (update[k] > 0) ? Math.Max(gains[k] * 0.8, MinimumGain) : gains[k] + 0.2;
                update[k] = (momentum * update[k]) - (rate * gains[k] * gradient[k]);
                y[k] += update[k];
            }

            if ((step + 1) % ProgressEvery == 0 || step + 1 == options.Iterations)
            {
                progress?.Report(("t-SNE", step + 1, options.Iterations));
            }
        }

        double mean0 = 0, mean1 = 0;
        for (int i = 0; i < n; i++)
        {
            mean0 += y[2 * i] / n;
            mean1 += y[(2 * i) + 1] / n;
        }

        var result = new float[n * 2];
        for (int i = 0; i < n; i++)
        {
            result[2 * i] = (float)(y[2 * i] - mean0);
            result[(2 * i) + 1] = (float)(y[(2 * i) + 1] - mean1);
        }

        return result;
    }

    /// <summary>
    /// P = (P_j|i + P_i|j) / 2n, with P_j|i Gaussian affinities whose entropy is log(perplexity), found per row by
    /// bisection on the precision β_i.
    /// </summary>
    private static double[] JointAffinities(double[] points, int n, int width, double perplexity)
    {
        var distances = new double[(long)n * n];
        Parallel.For(0, n, i =>
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int k = 0; k < width; k++)
                {
                    double d = points[(i * width) + k] - points[(j * width) + k];
                    sum += d * d;
                }

                distances[((long)i * n) + j] = sum;
            }
        });

        double target = Math.Log(perplexity);
        var conditional = new double[(long)n * n];
        Parallel.For(0, n, i =>
        {
            long row = (long)i * n;
            double nearest = double.PositiveInfinity;
            for (int j = 0; j < n; j++)
            {
                nearest = j == i ? nearest : Math.Min(nearest, distances[row + j]);
            }

            double beta = 1, lower = 0, upper = double.PositiveInfinity;
            for (int step = 0; step < BisectionSteps; step++)
            {
                // Distances shifted by the row's smallest keep exp() from underflowing; the shift cancels in p.
                double sum = 0, weighted = 0;
                for (int j = 0; j < n; j++)
                {
                    double value = j == i ? 0 : Math.Exp(-beta * (distances[row + j] - nearest));
                    conditional[row + j] = value;
                    sum += value;
                    weighted += value * (distances[row + j] - nearest);
                }

                double entropy = Math.Log(sum) + (beta * weighted / sum);
                if (entropy > target)
                {
                    lower = beta;
                    beta = double.IsPositiveInfinity(upper) ? beta * 2 : (lower + upper) / 2;
                }
                else
                {
                    upper = beta;
                    beta = (lower + upper) / 2;
                }
            }

            double total = 0;
            for (int j = 0; j < n; j++)
            {
                total += conditional[row + j];
            }

            for (int j = 0; j < n; j++)
            {
                conditional[row + j] /= total;
            }
        });

        var joint = new double[(long)n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                joint[((long)i * n) + j] = Math.Max((conditional[((long)i * n) + j] + conditional[((long)j * n) + i]) / (2.0 * n), Tiny);
            }
        }

        return joint;
    }
}
