using Decoupling.Examples.Shared.Tables;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Transforms.Onnx;
using static System.FormattableString;

namespace Decoupling.Benchmarks;

/// <summary>
/// Issue 18, item 2 (runtime settings): how fast ML.NET scores rows through the graph the library's transformer runs
/// (the per-row ONNX graph in ML.NET's OnnxTransformer, which runs one row at a time), with ONNX Runtime's own thread count
/// (ML.NET leaves IntraOpNumThreads unset: one thread per physical core, pinned) against 1 and 2 intra-op threads — the
/// setting a user can give every ONNX stage of an MLContext with
/// <c>mlContext.SetOnnxSessionOption(new OnnxSessionOptions { IntraOpNumThreads = n })</c> before <c>Fit</c> or
/// <c>Load</c>. The settings of one graph are timed interleaved (after one warm-up pass), a run being a pass over the
/// rows; the graphs one after the other, so ratios between graphs are not interleaved.
/// </summary>
internal static class RowScoringTiming
{
    /// <summary>The intra-op thread counts timed; 0 leaves the option unset (ONNX Runtime's default: one per core).</summary>
    private static readonly int[] ThreadSettings = [0, 1, 2];

    /// <summary>The table of <see cref="Measure"/>'s rows.</summary>
    public static MarkdownTable Table() => new("network", "rows", "graph", "IntraOpNumThreads", "ms / row (median)", "p10–p90", "speed-up over ORT's default", "speed-up over the dense graph, same setting", "process CPU time / wall time (one more pass)");

    /// <summary>Times <paramref name="rows"/> rows of the subject's images through its dense, masked and compact per-row graphs.</summary>
    public static void Measure(InferenceSubject subject, int rows, int runs, MarkdownTable table, Action<string> log)
    {
        // The subject's images, repeated up to the row count (its pool may hold fewer): ML.NET splits a data source that
        // does not split itself into batches of up to 128 rows over several worker cursors, so the row count decides how
        // many cores score at once.
        var input = subject.Gated.Input;
        int poolImages = subject.Pool.Length / input.Size;
        var pixels = new float[(long)rows * input.Size];
        for (int row = 0; row < rows; row++)
        {
            subject.Pool.AsSpan((row % poolImages) * input.Size, input.Size).CopyTo(pixels.AsSpan(row * input.Size));
        }

        var classes = Enumerable.Range(0, subject.Gated.Classes).Select(c => Invariant($"class {c}")).ToArray();
        var images = new ImageDataset(pixels, new int[rows], input.Channels, input.Height, input.Width, classes);
        var mlContext = new MLContext(seed: 1);
        var view = images.ToDataView(mlContext);
        var denseMedians = new double[ThreadSettings.Length];
        foreach (var (graph, network) in new[] { ("dense", subject.Dense), ("masked", subject.Gated), ("compact", subject.Compact.Network) })
        {
            string file = Path.Combine(Path.GetTempPath(), $"decoupling-rows-{Guid.NewGuid():N}.onnx");
            var transformers = new List<OnnxTransformer>();
            try
            {
                File.WriteAllBytes(file, DecoupledNetworkOnnxExporter.Export(network, new OnnxExportOptions { PerRow = true }));
                var calls = new List<Action>();
                foreach (int threads in ThreadSettings)
                {
                    // The dense twin has no gates, so no path to read.
                    string[] outputs = network.IsGated ? [DecouplingColumnNames.Score, DecouplingColumnNames.Path] : [DecouplingColumnNames.Score];
                    var options = new OnnxOptions { ModelFile = file, InputColumns = [DecouplingColumnNames.Image], OutputColumns = outputs };
                    if (threads > 0)
                    {
                        options.IntraOpNumThreads = threads;
                    }

                    var transformer = mlContext.Transforms.ApplyOnnxModel(options).Fit(view);
                    transformers.Add(transformer);
                    var scored = transformer.Transform(view);
                    calls.Add(() => ReadAll(scored));
                }

                log($"{subject.Name}: ML.NET row scoring, {graph} graph, {rows} rows, {ThreadSettings.Length} settings.");
                var timings = InterleavedTimer.Measure(calls, warmup: 1, runs, rows);
                // How many cores a pass keeps busy: ML.NET may score rows on several threads at once.
                var cores = calls.Select(CoresBusy).ToArray();
                for (int i = 0; i < ThreadSettings.Length; i++)
                {
                    if (!network.IsGated)
                    {
                        denseMedians[i] = timings[i].Median;
                    }

                    log(table.Add(
                        subject.Name, Invariant($"{rows}"), graph, ThreadSettings[i] == 0 ? "unset (ORT default)" : Invariant($"{ThreadSettings[i]}"),
                        Invariant($"{timings[i].Median:F3}"), Invariant($"{timings[i].P10:F3}–{timings[i].P90:F3}"), Invariant($"{timings[0].Median / timings[i].Median:F2}×"),
                        Invariant($"{denseMedians[i] / timings[i].Median:F2}×"), Invariant($"{cores[i]:F2}")));
                }
            }
            finally
            {
                transformers.ForEach(t => t.Dispose());
                File.Delete(file);
            }
        }
    }

    /// <summary>The process's CPU time over the wall time of one call of <paramref name="call"/>.</summary>
    private static double CoresBusy(Action call)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        call();
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(start);
        process.Refresh();
        return (process.TotalProcessorTime - cpu).TotalMilliseconds / wall.TotalMilliseconds;
    }

    /// <summary>Reads every row's Score and (where there is one) Path, as a consumer of the scored data would.</summary>
    private static void ReadAll(IDataView scored)
    {
        var columns = scored.Schema.Where(c => c.Name is DecouplingColumnNames.Score or DecouplingColumnNames.Path).ToArray();
        using var cursor = scored.GetRowCursor(columns);
        var getters = columns.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            foreach (var getter in getters)
            {
                getter(ref value);
            }
        }
    }
}
