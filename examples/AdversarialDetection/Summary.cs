using System.Text.Json;
using System.Text.Json.Nodes;
using Decoupling.Examples.Shared.Tables;
using Microsoft.ML.Decoupling.Analysis.Paths;
using static System.FormattableString;

namespace AdversarialDetection;

/// <summary>The run in one JSON file (summary.json): accuracy, FLOPs, path quality and every mean AUC, for sweeps to collect.</summary>
internal static class Summary
{
    public static void Write(string file, string[] args, double decoupledAccuracy, double denseAccuracy, double flopsReduction, PathQuality quality, ResultTable table, ResultTable transfer)
    {
        static JsonArray Aucs(ResultTable results) => [.. results.MeanAucs().Select(c => (JsonNode)new JsonObject
        {
            ["attack"] = c.Attack,
            ["features"] = c.Features,
            ["trainer"] = c.Trainer,
            ["per_class"] = c.PerClass,
            ["auc"] = c.Auc,
        })];

        var summary = new JsonObject
        {
            ["arguments"] = string.Join(' ', args),
            ["decoupled_accuracy"] = decoupledAccuracy,
            ["dense_accuracy"] = denseAccuracy,
            ["flops_reduction"] = flopsReduction,
            ["dynamic_share"] = quality.DynamicShare,
            ["dynamic_filters"] = quality.DynamicFilters,
            ["filters"] = quality.Filters,
            ["distinct_paths"] = quality.DistinctPaths,
            ["paths"] = quality.Paths,
            ["layer_classifier_accuracy"] = quality.MeanClassifierAccuracy,
            ["path_knn_accuracy"] = quality.WholePathNeighborAccuracy,
            ["detection"] = Aucs(table),
            ["transfer"] = Aucs(transfer),
        };
        string temporary = file + ".tmp";
        File.WriteAllText(temporary, summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, file, overwrite: true);
        File.WriteAllText(Path.ChangeExtension(file, ".row.md"), Row(args, decoupledAccuracy, denseAccuracy, flopsReduction, quality, table, transfer));
    }

    /// <summary>Features in the order of a sweep row's AUC cells.</summary>
    public static readonly string[] RowFeatures = ["decoupled path", "gate logits", "responses", "dense path (a)", "penultimate features (d)", "softmax scores (b)", "responses + deviation", "dense responses + deviation (a'')"];

    /// <summary>
    /// One markdown row for a sweep table: accuracy, FLOPs, path quality, then per attack and images per class the FastForest
    /// AUCs of <see cref="RowFeatures"/> (Mahalanobis for the penultimate features) as "a / b / …", then the transfer AUCs
    /// of the responses and of the responses with their path deviation.
    /// </summary>
    private static string Row(string[] args, double decoupledAccuracy, double denseAccuracy, double flopsReduction, PathQuality quality, ResultTable table, ResultTable transfer)
    {
        var aucs = table.MeanAucs().Where(c => c.Trainer is "FastForest" or "Mahalanobis").ToArray();
        var cells = new List<string>();
        foreach (var group in aucs.GroupBy(c => (c.Attack, c.PerClass)))
        {
            cells.Add($"{group.Key.Attack} {group.Key.PerClass}/class: " + string.Join(" / ", RowFeatures.Select(f => group.FirstOrDefault(c => c.Features == f) is { Attack: not null } c ? Invariant($"{c.Auc:F3}") : "—")));
        }

        string transfers = string.Join("; ", transfer.MeanAucs().Where(c => c.Features is "responses" or "responses + deviation").Select(c => Invariant($"{c.Attack} ({c.Features}) {c.Auc:F3}")));
        string[] row =
        [
            $"`{string.Join(' ', args)}`", Invariant($"{decoupledAccuracy:F4}"), Invariant($"{denseAccuracy:F4}"), Invariant($"{flopsReduction:F2}×"),
            Invariant($"{quality.DynamicShare:P1}"), Invariant($"{quality.DistinctPaths}/{quality.Paths}"), Invariant($"{quality.MeanClassifierAccuracy:F3}"),
            Invariant($"{quality.WholePathNeighborAccuracy:F3}"), string.Join("<br>", cells), transfers,
        ];
        return MarkdownTable.Line(row) + "\n";
    }
}
