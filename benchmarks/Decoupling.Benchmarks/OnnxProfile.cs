using System.Text.Json;
using Decoupling.Examples.Shared.Tables;
using Microsoft.ML.Decoupling;
using Microsoft.ML.OnnxRuntime;
using static System.FormattableString;

namespace Decoupling.Benchmarks;

/// <summary>
/// Where an ONNX graph spends its time: ONNX Runtime's own profiler (one session, images one by one at batch 1) summed
/// per kind of node — the gates (every node of an architecture controlling module and its mask), then each other
/// operator type (Conv, FusedConv, MaxPool, …). Explains a speed-up below the FLOPs reduction: how much of the compact
/// graph's time is its convs and how much is gating and per-node overhead that does not shrink with the FLOPs. The
/// profiler adds a few microseconds to every node, so graphs of many small nodes (the gates) look slower than they run;
/// the shares are indicative, the timed table is the measurement.
/// </summary>
internal static class OnnxProfile
{
    /// <summary>
    /// Milliseconds per image by node kind (or, with <paramref name="byLayer"/>, by layer and node kind): <paramref name="images"/>
    /// images run twice, the second pass counted (the first warms up).
    /// </summary>
    public static IReadOnlyList<(string Kind, double MillisecondsPerImage)> Measure(byte[] model, float[] pixels, int imageSize, int images, int threads, GraphOptimizationLevel optimization, bool byLayer = false)
    {
        string prefix = Path.Combine(Path.GetTempPath(), $"decoupling-profile-{Guid.NewGuid():N}");
        string? file = null;
        try
        {
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = optimization };
            // The prefix first: setting EnableProfiling passes the prefix of that moment to ONNX Runtime.
            options.ProfileOutputPathPrefix = prefix;
            options.EnableProfiling = true;
            using var session = new InferenceSession(model, options);
            string[] inputNames = [DecouplingColumnNames.Image];
            string[] outputNames = [DecouplingColumnNames.Score, DecouplingColumnNames.Path];
            using var runOptions = new RunOptions();
            for (int i = 0; i < 2 * images; i++)
            {
                // The first half warms up; only the runs of the second half are counted below.
                using var input = OrtValue.CreateTensorValueFromMemory(pixels.AsSpan((i % images) * imageSize, imageSize).ToArray(), [1, imageSize]);
                using var outputs = session.Run(runOptions, inputNames, [input], outputNames);
            }

            file = session.EndProfiling();
            return Summarise(file, images, byLayer);
        }
        finally
        {
            if (file is not null)
            {
                File.Delete(file);
            }
        }
    }

    private static List<(string, double)> Summarise(string file, int countedRuns, bool byLayer)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(file));
        var runs = new List<Dictionary<string, double>>();
        var current = new Dictionary<string, double>();
        var firstSeen = new Dictionary<string, int>();
        foreach (var e in document.RootElement.EnumerateArray())
        {
            string category = e.GetProperty("cat").GetString() ?? "";
            string name = e.GetProperty("name").GetString() ?? "";
            if (category == "Session" && name == "model_run")
            {
                // An event is written when it ends: a run's node events come before its model_run event.
                runs.Add(current);
                current = new Dictionary<string, double>();
            }
            else if (category == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                string node = name[..^"_kernel_time".Length];
                string op = e.TryGetProperty("args", out var args) && args.TryGetProperty("op_name", out var o) ? o.GetString() ?? "?" : "?";
                bool gate = node.Contains(".gate", StringComparison.Ordinal);
                string kind = gate ? "gates (all their nodes)" : op;
                if (byLayer)
                {
                    // The exporter names nodes after their layer (features.3.conv, layer1.0.conv1.gate.z); ONNX Runtime keeps
                    // the name in the nodes it fuses or rewrites, sometimes behind a prefix ("fused ").
                    string[] parts = node.Replace("fused ", string.Empty, StringComparison.Ordinal).Split('.');
                    kind = $"{(parts.Length >= 2 ? $"{parts[0]}.{parts[1]}" : node)} {(gate ? "gate" : op)}";
                }

                current[kind] = current.GetValueOrDefault(kind) + (e.GetProperty("dur").GetDouble() / 1000);
                firstSeen.TryAdd(kind, firstSeen.Count);
            }
        }

        var counted = runs.Skip(Math.Max(0, runs.Count - countedRuns)).ToList();
        var totals = counted.SelectMany(r => r)
            .GroupBy(p => p.Key)
            .Select(g => (g.Key, g.Sum(p => p.Value) / counted.Count));
        // By layer: ordered by each row's first node to run (a run's events are in execution order); by kind: the largest first.
        return byLayer
            ? [.. totals.OrderBy(p => firstSeen[p.Key])]
            : [.. totals.OrderByDescending(p => p.Item2)];
    }

    /// <summary>The table of <see cref="Row"/>s.</summary>
    public static MarkdownTable Table() => new("network", "variant", "node kind", "ms / image", "share");

    /// <summary>The cells of a <see cref="Table"/> row: one node kind's time and its share of <paramref name="total"/>.</summary>
    public static string[] Row(string network, string variant, string kind, double milliseconds, double total) =>
        [network, variant, kind, Invariant($"{milliseconds:F3}"), Invariant($"{milliseconds / total:P0}")];
}
