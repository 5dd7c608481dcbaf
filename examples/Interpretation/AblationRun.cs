using System.Diagnostics;
using Decoupling.Examples.Shared.Tables;
using Microsoft.ML;
using Microsoft.ML.Decoupling;
using Microsoft.ML.Decoupling.Analysis.Activity;
using Microsoft.ML.Decoupling.Analysis.Clustering;
using Microsoft.ML.Decoupling.Analysis.Embedding;
using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Analysis.Report;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;
using static System.FormattableString;

namespace Interpretation;

/// <summary>
/// The Table 7-style ablation (paper §4.2): two decoupled networks identical but for the mutual-information weight λm
/// (the short-training preset's 0.5 against 0), compared on the test set by accuracy, filter states, k-NN separability
/// and Hopkins statistic; then the time of each analysis on the λm &gt; 0 model. Prints Markdown tables.
/// </summary>
internal static class AblationRun
{
    private static readonly double[] MutualInformationWeights = [0.5, 0];

    public static void Run(InterpretationArguments arguments, MLContext mlContext, ImageDataset train, ImageDataset test, int epochs)
    {
        var clock = Stopwatch.StartNew();
        var testView = test.ToDataView(mlContext);
        MarkdownTable? ablation = null;
        DecoupledNetworkTransformer? kept = null;
        PathSet? keptPaths = null;
        var timings = new List<(string Step, TimeSpan Time)>();
        try
        {
            foreach (double weight in MutualInformationWeights)
            {
                var options = DecoupleNetworkEstimator.Options.ForShortTraining();
                options.Architecture = NetworkArchitecture.Vgg(VggLayout.Default);
                options.ImageChannels = train.Channels;
                options.Epochs = epochs;
                options.Seed = arguments.Seed;
                options.MutualInformationWeight = weight;
                Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] training λm = {weight} on {train.Count} images for {epochs} epochs…");
                var model = mlContext.Transforms.DecoupleNetwork(options).Fit(train.ToDataView(mlContext));
                var trainTime = clock.Elapsed;
                Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] trained.");
                bool keep = weight > 0;
                if (keep)
                {
                    kept = model;
                }

                try
                {
                    double accuracy = mlContext.MulticlassClassification.Evaluate(model.Transform(testView)).MicroAccuracy;
                    var paths = Timed(keep, timings, "path reading", () => PathSet.Read(model, testView));
                    var activity = Timed(keep, timings, "filter activity", () => FilterActivity.Compute(paths));
                    var separability = Timed(keep, timings, "k-NN separability", () => PathSeparability.Compute(paths, seed: arguments.Seed));
                    var hopkins = Timed(keep, timings, "Hopkins (per layer)", () => PathDecisionTree.HopkinsPerLayer(paths, seed: arguments.Seed));
                    if (keep)
                    {
                        keptPaths = paths;
                    }

                    if (ablation is null)
                    {
                        // The header names the layers, known once the first network is trained.
                        ablation = AblationTable(separability);
                        Console.WriteLine(ablation.Header);
                    }

                    Console.WriteLine(ablation.Add(Row(weight, accuracy, activity, separability, hopkins)));
                }
                finally
                {
                    if (!keep)
                    {
                        model.Dispose();
                    }
                }
            }

            Console.WriteLine();
            Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] ablation done; timing the remaining analyses on the λm = 0.5 model…");
            var embeddingOptions = new TsneOptions { Seed = arguments.Seed };
            Timed(true, timings, $"PCA + t-SNE ({Math.Min(embeddingOptions.MaxSamples, keptPaths!.Count)} sampled paths)", () => PathEmbedding.Compute(keptPaths, embeddingOptions));
            Timed(true, timings, "path tree", () => PathDecisionTree.Build(keptPaths, new PathTreeOptions { Seed = arguments.Seed }));
            Timed(true, timings, "report (DecouplingReport.Write: all of the above + figures + files)", () => DecouplingReport.Write(
                kept!,
                testView,
                arguments.Output,
                new DecouplingReportOptions { Title = $"Decoupled VGG on {arguments.Dataset}, λm 0.5", Seed = arguments.Seed }));
            Console.WriteLine();
            var analyses = new MarkdownTable($"analysis ({keptPaths.Count} test images)", "seconds");
            timings.ForEach(t => analyses.Add(t.Step, Invariant($"{t.Time.TotalSeconds:F1}")));
            Console.Write(analyses.ToString());
            Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] done; report in {arguments.Output}");
        }
        finally
        {
            kept?.Dispose();
        }
    }

    private static T Timed<T>(bool record, List<(string Step, TimeSpan Time)> timings, string step, Func<T> analysis)
    {
        var watch = Stopwatch.StartNew();
        var result = analysis();
        if (record)
        {
            timings.Add((step, watch.Elapsed));
        }

        return result;
    }

    private static MarkdownTable AblationTable(PathSeparability separability) => new(
        "λm", "test accuracy", "energetic / silent / dynamic", "dynamic share",
        $"k-NN per layer ({string.Join(", ", separability.Layers.Select(l => l.Layer))})", "k-NN whole path", "Hopkins per layer");

    private static string[] Row(double weight, double accuracy, FilterActivity activity, PathSeparability separability, IReadOnlyList<double> hopkins)
    {
        var total = activity.Total;
        return
        [
            Invariant($"{weight}"), Invariant($"{accuracy:F4}"), Invariant($"{total.Energetic} / {total.Silent} / {total.Dynamic}"), Invariant($"{activity.DynamicShare:P1}"),
            string.Join(", ", separability.Layers.Select(l => Invariant($"{l.Accuracy:F3}"))),
            Invariant($"{separability.WholePath.Accuracy:F3} (chance {separability.ChanceAccuracy:F3})"),
            string.Join(", ", hopkins.Select(h => Invariant($"{h:F3}"))),
        ];
    }
}
