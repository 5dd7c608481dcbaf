using System.Text;
using Microsoft.ML.Decoupling.Analysis.Activity;
using Microsoft.ML.Decoupling.Analysis.Clustering;
using Microsoft.ML.Decoupling.Analysis.Concepts;
using Microsoft.ML.Decoupling.Analysis.Embedding;
using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Transforms;
using static Microsoft.ML.Decoupling.Analysis.Report.MarkdownTable;

namespace Microsoft.ML.Decoupling.Analysis.Report;

/// <summary>The text of the report: its Markdown and its CSV files.</summary>
internal static class ReportTables
{
    public static string Markdown(
        string title,
        DecoupledNetworkTransformer model,
        PathSet paths,
        FilterActivity activity,
        PathSeparability separability,
        PathEmbedding embedding,
        IReadOnlyList<double> hopkins,
        PathDecisionTree tree,
        ConceptAnalysisResult? concepts,
        IReadOnlyList<string> files)
    {
        var network = model.Network;
        var text = new StringBuilder();
        text.AppendLine($"# {title}").AppendLine();
        text.AppendLine(DecouplingReport.Invariant($"Network `{network.Architecture}` on {network.Input} inputs, {network.Classes} classes, {paths.Layout.Layers.Count} gated layers, path of {paths.Layout.PathLength} bits; {paths.Count} inputs analysed.")).AppendLine();

        text.AppendLine("## Filter activity (paper Figs. 4 and 5)").AppendLine();
        text.AppendLine("Energetic filters are open for every input, silent filters for none, dynamic filters for some.").AppendLine();
        text.Append(Write(
            ["layer", "filters", "energetic", "silent", "dynamic", "open per input"],
            activity.Layers.Select(l => (IReadOnlyList<string>)[l.Layer, Number(l.Filters), Number(l.States.Energetic), Number(l.States.Silent), Number(l.States.Dynamic), Number(l.ActiveRatio)])
                .Append([
                    "all", Number(activity.Layers.Sum(l => l.Filters)), Number(activity.Total.Energetic), Number(activity.Total.Silent),
                    Number(activity.Total.Dynamic), Number(activity.Layers.Sum(l => l.ActiveRatio * l.Filters) / activity.Layers.Sum(l => l.Filters)),
                ])));
        text.AppendLine().AppendLine(DecouplingReport.Invariant($"Share of dynamic filters: {Number(activity.DynamicShare)}. Per-filter counts, overall and per class: [filter-activity.csv](filter-activity.csv).")).AppendLine();
        text.AppendLine("![Filter states](filter-states.png)").AppendLine();
        text.AppendLine("![Times each filter of the last gated layer is open](activation-counts.png)").AppendLine();

        text.AppendLine("## Path separability").AppendLine();
        text.AppendLine(DecouplingReport.Invariant($"Leave-one-out {separability.Neighbors}-NN accuracy of the class from each layer's gate vector and from the whole path (Hamming distance, {separability.Samples} inputs; chance {Number(separability.ChanceAccuracy)}).")).AppendLine();
        text.Append(Write(["layer", "k-NN accuracy"], separability.Layers.Append(separability.WholePath).Select(l => (IReadOnlyList<string>)[l.Layer, Number(l.Accuracy)])));
        text.AppendLine().AppendLine("![Separability](separability.png)").AppendLine();

        text.AppendLine("## Path embedding (paper Fig. 3)").AppendLine();
        text.AppendLine(DecouplingReport.Invariant($"Whole paths, PCA then exact t-SNE, {embedding.Points.Count} inputs; 5-NN accuracy of the class in the plane: {Number(embedding.NeighborAccuracy)}. Coordinates: [embedding.csv](embedding.csv).")).AppendLine();
        text.AppendLine("![t-SNE of the paths](embedding.png)").AppendLine();

        text.AppendLine("## Decision tree of paths (paper Fig. 9)").AppendLine();
        text.AppendLine("Hopkins statistic of each layer's gate vectors over all inputs (0.5: no clusters; towards 1: clustered):").AppendLine();
        text.Append(Write(["layer", "Hopkins"], paths.Layout.Layers.Select((l, i) => (IReadOnlyList<string>)[l.Name, Number(hopkins[i])])));
        text.AppendLine().AppendLine("Groups split by k-means where their gate vectors are clustered (count per class in brackets):").AppendLine();
        text.AppendLine("```");
        AppendNode(text, tree.Root, tree.ClassNames, "");
        text.AppendLine("```").AppendLine();
        text.AppendLine("![Path tree](path-tree.png)").AppendLine();
        text.AppendLine("First layer at which the paths of two classes part:").AppendLine();
        text.Append(Write(["class", "class", "first separating layer"], tree.ClassPairs.Select(p => (IReadOnlyList<string>)[tree.ClassNames[p.ClassA], tree.ClassNames[p.ClassB], p.Layer ?? "never"])));
        text.AppendLine();

        if (concepts is not null)
        {
            AppendConcepts(text, concepts, files.Contains("occlusion.png"));
        }

        text.AppendLine("## Files").AppendLine();
        foreach (string file in files)
        {
            text.AppendLine($"- [{file}]({file})");
        }

        return text.ToString();
    }

    public static string ActivityCsv(FilterActivity activity)
    {
        var text = new StringBuilder();
        text.Append("layer,filter,state,on_count,on_rate");
        foreach (string name in activity.ClassNames)
        {
            text.Append(',').Append(Csv("on_rate_" + name));
        }

        text.AppendLine();
        foreach (var layer in activity.Layers)
        {
            for (int f = 0; f < layer.Filters; f++)
            {
                text.Append(Csv(layer.Layer)).Append(',').Append(Number(f)).Append(',').Append(layer.StateOf(f).ToString().ToLowerInvariant())
                    .Append(',').Append(Number(layer.OnCounts[f])).Append(',').Append(Number((double)layer.OnCounts[f] / layer.Images, 4));
                for (int c = 0; c < activity.ClassNames.Count; c++)
                {
                    text.Append(',').Append(Number(layer.OnRate(f, c), 4));
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }

    public static string EmbeddingCsv(PathEmbedding embedding)
    {
        var text = new StringBuilder("row,label,class,x,y\n");
        foreach (var point in embedding.Points)
        {
            text.AppendLine(DecouplingReport.Invariant($"{point.Row},{point.Label},{Csv(embedding.ClassNames[point.Label])},{point.X:R},{point.Y:R}"));
        }

        return text.ToString();
    }

    private static void AppendConcepts(StringBuilder text, ConceptAnalysisResult concepts, bool occlusionFigure)
    {
        text.AppendLine("## Concepts (paper Table 1 and Fig. 6)").AppendLine();
        text.AppendLine(DecouplingReport.Invariant($"Receptive fields: activation maps upsampled to the input, above each filter's top-{Number(concepts.Thresholds.TopQuantile)} quantile level. A filter's score is the largest share, over concepts, of images in which its receptive field overlaps the concept with IoU above the association bound; a layer's score is the mean over its filters.")).AppendLine();
        text.Append(Write(["layer", "mean score", "filters with a concept"], concepts.Layers.Select(l => (IReadOnlyList<string>)[l.Layer, Number(l.MeanScore), Number(l.Filters.Count(f => f.Score > 0))])));
        text.AppendLine().AppendLine("Coverage of each concept: best single filter against the filters that switch off when the concept is occluded.").AppendLine();
        text.Append(Write(
            ["layer", "concept", "images", "single-filter IoU", "multi-filter IoU", "filters switched off", "most frequent (share)"],
            concepts.Coverage.Select(c => (IReadOnlyList<string>)[
                c.Layer, c.Concept, Number(c.Images), Number(c.SingleFilterIoU), Number(c.MultiFilterIoU), Number(c.MeanSwitchedOff, 2),
                c.MostFrequentFilter is { } f ? $"{f} ({Number(c.MostFrequentShare, 2)})" : "none",
            ])));
        text.AppendLine();
        if (occlusionFigure)
        {
            text.AppendLine("Occlusion (paper Figs. 7 and 8), first image showing each concept: the concept in green, the receptive fields of the filters (all gated layers) that switch off when it is occluded in red, both in yellow.").AppendLine();
            text.AppendLine("![Occlusion](occlusion.png)").AppendLine();
        }
    }

    private static void AppendNode(StringBuilder text, PathTreeNode node, IReadOnlyList<string> classNames, string indent)
    {
        var counts = string.Join(", ", node.ClassCounts.Select((n, c) => (n, c)).Where(x => x.n > 0).Select(x => $"{classNames[x.c]} {x.n}"));
        string split = node.SplitLayerName is null ? "" : DecouplingReport.Invariant($" → split at {node.SplitLayerName} (Hopkins {Number(node.Hopkins ?? 0)})");
        text.AppendLine($"{indent}{node.Rows.Count} inputs [{counts}]{split}");
        foreach (var child in node.Children)
        {
            AppendNode(text, child, classNames, indent + "    ");
        }
    }

    private static string Csv(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
