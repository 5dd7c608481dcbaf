using System.Globalization;
using System.Text;
using Decoupling.Examples.Shared.Tables;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.OnnxRuntime;
using static System.FormattableString;
using static TorchSharp.torch;

namespace Decoupling.Benchmarks;

/// <summary>
/// Issue 8: the counted FLOPs reduction against measured inference speed. Per network, the dense twin (same weights,
/// no gates), the masked gated network, its compact network and per-input skipping are timed interleaved in ONNX
/// Runtime (CPU) and TorchSharp, at each batch size and thread count; the table gives FLOPs reduction, speed-up over the
/// dense twin in the same runtime, and their ratio.
/// </summary>
internal static class InferenceBenchmark
{
    /// <summary>The ONNX variant that bounds the compact graph: no gates, no masks, no path (<see cref="StaticPruningBound"/>).</summary>
    private const string StaticBound = "bound: compact without gates";

    /// <summary>The compact graph without zero filters (<see cref="OnnxExportOptions.ChannelAlignment"/> 1; "compact" is the default, 8).</summary>
    private const string Unaligned = "compact, channels not aligned";

    /// <summary>The compact graph with zero filters up to a multiple of 16.</summary>
    private const string Aligned16 = "compact, channels aligned to 16";

    /// <summary>Per-input skipping in ONNX Runtime on the gated network (<see cref="OnnxPerInputSkipping"/>; batch 1).</summary>
    private const string SkipInOnnx = "skip in ONNX (gathered weights)";

    /// <summary>The same on the compact network: its kept filters skipped per input.</summary>
    private const string CompactSkipInOnnx = "compact + skip in ONNX (gathered weights)";

    /// <summary>Runs the benchmark; <paramref name="args"/> (the whole command line) is quoted in the report.</summary>
    public static int Run(InferenceArguments arguments, IReadOnlyList<string> args, Action<string> log)
    {

        // The allocator settings the library recommends apply here too: without them TorchSharp faults its activation
        // buffers in again on every pass (at 224×224 a third of the time was system time), for every variant alike.
        bool tunedAllocator = !arguments.GlibcDefaults && Microsoft.ML.Decoupling.Native.NativeAllocator.UseTrainingSettings();
        log($"allocator: {(tunedAllocator ? "NativeAllocator.UseTrainingSettings" : "the C library's defaults")}.");
        Microsoft.ML.Decoupling.Native.TorchNativeLoader.EnsureTorch();
        var check = Microsoft.ML.Decoupling.Native.ConvolutionSelfCheck.EnsureCorrect(log);
        log($"convolution self-check: {check.Verdict}.");
        var speeds = new MarkdownTable("network", "runtime", "batch", "threads", "variant", "FLOPs reduction", "ms / image (median)", "p10–p90", "speed-up over dense", "speed-up / FLOPs reduction");
        var notes = new List<string>();
        var profile = OnnxProfile.Table();
        var rowScoring = RowScoringTiming.Table();
        foreach (string name in arguments.Networks)
        {
            using var subject = InferenceSubject.Create(name, arguments, log);
            if (subject is null)
            {
                return 1;
            }

            Measure(subject, arguments, speeds, log);
            notes.Add(subject.Note);
            if (arguments.MlNetRows > 0)
            {
                RowScoringTiming.Measure(subject, arguments.MlNetRows, arguments.Runs, rowScoring, log);
            }

            if (arguments.Profile > 0)
            {
                Profile(subject, arguments.Profile, arguments.GraphOptimization, arguments.ProfileByLayer, SkippingGraphsApply(subject, arguments, out _), profile, log);
            }
        }

        var report = new StringBuilder();
        report.Append(ReportHeader.For(args));
        report.AppendLine($"{arguments.Runs} timed runs per variant after {arguments.Warmup} warm-up runs; each runtime's variants interleaved with each other (one runtime after the other); ONNX Runtime sessions without thread spinning, graph optimisation {arguments.GraphOptimization}; allocator: {(tunedAllocator ? "NativeAllocator.UseTrainingSettings" : "glibc defaults")}; a run is {arguments.ImagesPerRun} images one by one at batch 1, one batch otherwise; times per image.");
        report.AppendLine();
        notes.ForEach(n => report.AppendLine($"- {n}"));
        report.AppendLine();
        report.Append(speeds.ToString());
        if (rowScoring.Rows.Count > 0)
        {
            report.AppendLine();
            report.AppendLine($"ML.NET's row-by-row scoring (OnnxTransformer over the per-row graph, one row per ONNX Runtime run, as the library's transformer scores; one warm-up pass, then {arguments.Runs} passes over the rows per setting, the settings of a graph interleaved, the graphs one after the other; times per row). ONNX Runtime's default intra-op thread count is one per core; ML.NET leaves it unset unless given (OnnxOptions.IntraOpNumThreads, or mlContext.SetOnnxSessionOption for every ONNX stage of a context):");
            report.AppendLine();
            report.Append(rowScoring.ToString());
        }

        if (profile.Rows.Count > 0)
        {
            report.AppendLine();
            report.AppendLine($"Where ONNX Runtime spends the time (its profiler; 1 thread, batch 1, {arguments.Profile} images after as many warm-up runs; node kernel times only, so the sum is below the timed latency):");
            report.AppendLine();
            report.Append(profile.ToString());
        }
        Console.WriteLine();
        Console.WriteLine(report);
        if (arguments.Output is not null)
        {
            Microsoft.ML.Decoupling.IO.AtomicFile.WriteAllBytes(Path.GetFullPath(arguments.Output), Encoding.UTF8.GetBytes(report.ToString()));
            log($"Wrote {arguments.Output}.");
        }

        return 0;
    }

    /// <summary>Times every variant of <paramref name="subject"/> at each thread count and batch size, a row each into <paramref name="table"/>.</summary>
    private static void Measure(InferenceSubject subject, InferenceArguments arguments, MarkdownTable table, Action<string> log)
    {
        var onnx = new (string Name, byte[] Model)[]
        {
            ("dense", DecoupledNetworkOnnxExporter.Export(subject.Dense)),
            ("masked", DecoupledNetworkOnnxExporter.Export(subject.Gated)),
            ("compact", DecoupledNetworkOnnxExporter.Export(subject.Compact.Network)),
            (Unaligned, DecoupledNetworkOnnxExporter.Export(subject.Compact.Network, new OnnxExportOptions { ChannelAlignment = 1 })),
            (Aligned16, DecoupledNetworkOnnxExporter.Export(subject.Compact.Network, new OnnxExportOptions { ChannelAlignment = 16 })),
            (StaticBound, Array.Empty<byte>()),
        };
        onnx[^1].Model = StaticPruningBound.FromCompact(onnx[2].Model);

        // Per-input skipping inside ONNX Runtime (item 3 of issue 18; --skip-in-onnx): batch 1 only, networks of convs and
        // max-pools only; timed only after its scores and paths match the product graph's on the timed images, with the
        // timed sessions' optimisation level and each thread count.
        var onnxSkipping = new List<(string Name, string Flops, byte[] Model)>();
        if (SkippingGraphsApply(subject, arguments, out string? why))
        {
            int size = subject.Gated.Input.Size;
            int count = Math.Min(arguments.ImagesPerRun, subject.Pool.Length / size);
            foreach (var (variant, flops, network, reference) in new[] { (SkipInOnnx, "skip", subject.Gated, onnx[1].Model), (CompactSkipInOnnx, "compact + skip", subject.Compact.Network, onnx[2].Model) })
            {
                byte[] model = OnnxPerInputSkipping.Export(network);
                double worst = 0;
                int differing = 0;
                foreach (int threads in arguments.Threads)
                {
                    using var parityOptions = TimedSessionOptions(threads, arguments.GraphOptimization);
                    var (scores, paths) = OnnxPerInputSkipping.Compare(reference, model, parityOptions, subject.Pool, count, size);
                    (worst, differing) = (Math.Max(worst, scores), Math.Max(differing, paths));
                }

                subject.AddNote(Invariant($"{variant}: against the {(network.IsCompact ? "compact" : "masked")} graph on the {count} images of a timed run at each thread count, scores within {worst:G2}, {differing} paths differ"));
                if (worst > 1e-5 || differing > 0)
                {
                    throw new InvalidOperationException(Invariant($"{subject.Name}: the {variant} graph does not reproduce the {(network.IsCompact ? "compact" : "masked")} graph (scores differ by {worst:G3}, {differing} paths differ); not timed."));
                }

                onnxSkipping.Add((variant, flops, model));
            }
        }
        else if (why is not null)
        {
            subject.AddNote($"--skip-in-onnx: {why}");
        }

        if (arguments.SaveOnnx is { } folder)
        {
            Directory.CreateDirectory(folder);
            // The product graphs only (the diagnostic variants are the same network exported otherwise).
            foreach (var (variant, model) in onnx.Where(o => o.Name is "dense" or "masked" or "compact"))
            {
                string path = Path.GetFullPath(Path.Combine(folder, $"{subject.Name}-{variant}.onnx"));
                Microsoft.ML.Decoupling.IO.AtomicFile.WriteAllBytes(path, model);
                log($"Wrote {path}.");
            }
        }

        var skipping = arguments.SkipRatios.Select(r => (Ratio: r, Gated: new SkippingInference(subject.Gated, r))).ToList();
        using var compactSkipping = new SkippingInference(subject.Compact.Network);
        var onnxValues = new List<IDisposable>();
        try
        {
            foreach (int threads in arguments.Threads)
            {
                set_num_threads(threads);

                using var options = TimedSessionOptions(threads, arguments.GraphOptimization);
                var sessions = arguments.Runtimes.Contains("onnx")
                    ? onnx.Select(o => (o.Name, Session: new InferenceSession(o.Model, options))).ToList()
                    : [];
                var skippingSessions = arguments.Runtimes.Contains("onnx")
                    ? onnxSkipping.Select(o => (o.Name, o.Flops, Session: new InferenceSession(o.Model, options))).ToList()
                    : [];
                try
                {
                    foreach (int batch in arguments.Batches)
                    {
                        int images = batch == 1 ? arguments.ImagesPerRun : batch;
                        float[] pixels = subject.Pool.AsSpan(0, images * subject.Gated.Input.Size).ToArray();
                        var onnxVariants = sessions
                            .Select(s => new Variant("ONNX Runtime", s.Name, subject.Flops(s.Name.StartsWith("compact", StringComparison.Ordinal) || s.Name == StaticBound ? "compact" : s.Name), OnnxCall(s.Session, pixels, images, batch, subject.Gated.Input.Size, onnxValues, withPath: s.Name != StaticBound)))
                            .ToList();
                        if (batch == 1)
                        {
                            onnxVariants.AddRange(skippingSessions.Select(s => new Variant("ONNX Runtime", s.Name, subject.Flops(s.Flops), OnnxCall(s.Session, pixels, images, batch, subject.Gated.Input.Size, onnxValues, withPath: true))));
                        }

                        // --fixed-batch: the product graphs again, in sessions whose batch dimension is fixed to this batch size
                        // (ONNX Runtime's free dimension override), so that every shape in the graph is known when it is optimised.
                        // Disposed when this batch size is timed.
                        var batchSessions = new List<IDisposable>();
                        if (arguments.FixedBatch && arguments.Runtimes.Contains("onnx"))
                        {
                            var fixedOptions = TimedSessionOptions(threads, arguments.GraphOptimization, fixedBatch: batch);
                            batchSessions.Add(fixedOptions);
                            foreach (var (name, model) in onnx.Where(o => o.Name is "dense" or "masked" or "compact"))
                            {
                                var session = new InferenceSession(model, fixedOptions);
                                batchSessions.Add(session);
                                onnxVariants.Add(new Variant("ONNX Runtime", $"{name}, batch fixed", subject.Flops(name), OnnxCall(session, pixels, images, batch, subject.Gated.Input.Size, onnxValues, withPath: true)));
                            }
                        }

                        var torchVariants = new List<Variant>();
                        if (arguments.Runtimes.Contains("torch"))
                        {
                            torchVariants.Add(new("TorchSharp", "dense", subject.Flops("dense"), () => NetworkInference.Run(subject.Dense, pixels, images, batch)));
                            torchVariants.Add(new("TorchSharp", "masked", subject.Flops("masked"), () => NetworkInference.Run(subject.Gated, pixels, images, batch)));
                            torchVariants.Add(new("TorchSharp", "compact", subject.Flops("compact"), () => NetworkInference.Run(subject.Compact.Network, pixels, images, batch)));
                            if (batch == 1)
                            {
                                foreach (var (ratio, runner) in skipping)
                                {
                                    torchVariants.Add(new("TorchSharp", string.Create(CultureInfo.InvariantCulture, $"skip (masked above {ratio:F2} open)"), subject.Flops("skip"), () => runner.Run(pixels, images)));
                                }

                                torchVariants.Add(new("TorchSharp", string.Create(CultureInfo.InvariantCulture, $"compact + skip ({SkippingInference.DefaultMaskedAboveOpenRatio:F2})"), subject.Flops("compact + skip"), () => compactSkipping.Run(pixels, images)));
                            }
                        }

                        try
                        {
                            // One runtime at a time: the variants of a runtime are interleaved with each other, never with the
                            // other runtime's, whose thread pool would compete for the same cores.
                            foreach (var variants in new[] { onnxVariants, torchVariants }.Where(v => v.Count > 0))
                            {
                                log($"{subject.Name}: {variants[0].Runtime}, batch {batch}, {threads} thread(s): timing {variants.Count} variants.");
                                var timings = InterleavedTimer.Measure(variants.Select(v => v.Call).ToList(), arguments.Warmup, arguments.Runs, images);
                                double denseTime = timings[variants.FindIndex(d => d.Name == "dense")].Median;
                                for (int i = 0; i < variants.Count; i++)
                                {
                                    var v = variants[i];
                                    double flopsReduction = subject.Flops("dense") / v.Flops;
                                    double speedUp = denseTime / timings[i].Median;
                                    log(table.Add(
                                        subject.Name, v.Runtime, Invariant($"{batch}"), Invariant($"{threads}"), v.Name, Invariant($"{flopsReduction:F2}×"),
                                        Invariant($"{timings[i].Median:F3}"), Invariant($"{timings[i].P10:F3}–{timings[i].P90:F3}"), Invariant($"{speedUp:F2}×"), Invariant($"{speedUp / flopsReduction:F2}")));
                                }
                            }
                        }
                        finally
                        {
                            // The sessions first, then their options.
                            Enumerable.Reverse(batchSessions).ToList().ForEach(d => d.Dispose());
                        }
                    }
                }
                finally
                {
                    sessions.ForEach(s => s.Session.Dispose());
                    skippingSessions.ForEach(s => s.Session.Dispose());
                }
            }
        }
        finally
        {
            skipping.ForEach(s => s.Gated.Dispose());
            onnxValues.ForEach(v => v.Dispose());
        }
    }

    /// <summary>
    /// The options of every timed session: <paramref name="threads"/> intra-op threads, sequential, and no thread spinning.
    /// Every session keeps its own pool of threads, which by default spin for a while after each run; with the variants
    /// interleaved, one session's spinning threads would take the cores of the next one (the first measurement's 2-thread
    /// rows had 2–3× spreads). <paramref name="fixedBatch"/> fixes the graphs' batch dimension (--fixed-batch).
    /// </summary>
    private static SessionOptions TimedSessionOptions(int threads, GraphOptimizationLevel optimization, int? fixedBatch = null)
    {
        var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, GraphOptimizationLevel = optimization };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (fixedBatch is { } batch)
        {
            options.AddFreeDimensionOverrideByName(DecoupledNetworkOnnxExporter.BatchDimension, batch);
        }

        return options;
    }

    /// <summary>
    /// Whether the per-input skipping graphs are built (and checked, timed, profiled) for <paramref name="subject"/>: asked for
    /// with --skip-in-onnx, a network of convs and max-pools, batch 1 among the batches; otherwise <paramref name="why"/>
    /// says why not when they were asked for.
    /// </summary>
    private static bool SkippingGraphsApply(InferenceSubject subject, InferenceArguments arguments, out string? why)
    {
        why = !arguments.SkipInOnnx ? null
            : !OnnxPerInputSkipping.Supports(subject.Gated) ? "not built, the network has residual sums, shortcuts or concatenations"
            : !arguments.Batches.Contains(1) ? "not built, batch 1 is not among --batches"
            : null;
        return arguments.SkipInOnnx && why is null;
    }

    /// <summary>
    /// ONNX Runtime's profile of the dense, unaligned compact and compact graphs of <paramref name="subject"/> (and, with
    /// <paramref name="skipInOnnx"/>, its per-input skipping graphs), a row per node kind (of at least 1 % of the time) or,
    /// with <paramref name="byLayer"/>, per layer and node kind (every row, ordered by each row's first node to run) into
    /// <paramref name="table"/>.
    /// </summary>
    private static void Profile(InferenceSubject subject, int images, GraphOptimizationLevel optimization, bool byLayer, bool skipInOnnx, MarkdownTable table, Action<string> log)
    {
        int size = subject.Gated.Input.Size;
        float[] pixels = subject.Pool.AsSpan(0, Math.Min(images, subject.Pool.Length / size) * size).ToArray();
        int count = pixels.Length / size;
        var graphs = new List<(string Variant, byte[] Model)>
        {
            ("dense", DecoupledNetworkOnnxExporter.Export(subject.Dense)),
            (Unaligned, DecoupledNetworkOnnxExporter.Export(subject.Compact.Network, new OnnxExportOptions { ChannelAlignment = 1 })),
            ("compact", DecoupledNetworkOnnxExporter.Export(subject.Compact.Network)),
        };
        if (skipInOnnx)
        {
            graphs.Add((SkipInOnnx, OnnxPerInputSkipping.Export(subject.Gated)));
            graphs.Add((CompactSkipInOnnx, OnnxPerInputSkipping.Export(subject.Compact.Network)));
        }

        foreach (var (variant, model) in graphs)
        {
            log($"{subject.Name}: profiling the {variant} graph on {count} images.");
            var kinds = OnnxProfile.Measure(model, pixels, size, count, threads: 1, optimization, byLayer);
            double total = kinds.Sum(k => k.MillisecondsPerImage);
            foreach (var (kind, milliseconds) in kinds.Where(k => byLayer || k.MillisecondsPerImage >= 0.01 * total))
            {
                table.Add(OnnxProfile.Row(subject.Name, variant, kind, milliseconds, total));
            }

            table.Add(OnnxProfile.Row(subject.Name, variant, "**all nodes**", total, total));
        }
    }

    private sealed record Variant(string Runtime, string Name, double Flops, Action Call);

    /// <summary>Runs the images through the session in batches of <paramref name="batch"/> (inputs made once and added to <paramref name="owned"/>, outputs disposed).</summary>
    private static Action OnnxCall(InferenceSession session, float[] pixels, int images, int batch, int imageSize, List<IDisposable> owned, bool withPath)
    {
        var inputs = Enumerable.Range(0, images / batch)
            .Select(b => OrtValue.CreateTensorValueFromMemory(pixels.AsSpan(b * batch * imageSize, batch * imageSize).ToArray(), [batch, imageSize]))
            .ToList();
        var runOptions = new RunOptions();
        owned.AddRange(inputs);
        owned.Add(runOptions);
        string[] inputNames = [DecouplingColumnNames.Image];
        string[] outputNames = withPath ? [DecouplingColumnNames.Score, DecouplingColumnNames.Path] : [DecouplingColumnNames.Score];
        return () =>
        {
            foreach (var input in inputs)
            {
                using var outputs = session.Run(runOptions, inputNames, [input], outputNames);
            }
        };
    }
}
