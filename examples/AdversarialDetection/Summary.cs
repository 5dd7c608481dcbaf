using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Decoupling.Analysis;

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
    }
}
