using Microsoft.ML.Decoupling.Analysis.Clustering;
using SkiaSharp;

namespace Microsoft.ML.Decoupling.Analysis.Report;

/// <summary>
/// Paper Fig. 9 for the report: the path tree drawn top-down, one box per group (its size and its two largest classes),
/// each split labelled with the layer at which it happens. Drawn with SkiaSharp: boxes and lines, not a chart.
/// </summary>
internal static class PathTreeFigure
{
    private const float BoxWidth = 170, BoxHeight = 46, ColumnWidth = 186, RowHeight = 96, Margin = 16;

    public static byte[] Draw(PathDecisionTree tree)
    {
        var positions = new Dictionary<PathTreeNode, (float X, int Depth)>();
        float nextLeaf = 0;
        int maxDepth = Place(tree.Root, 0, positions, ref nextLeaf);
        int width = (int)((nextLeaf * ColumnWidth) + (2 * Margin));
        int height = (int)((maxDepth * RowHeight) + BoxHeight + (2 * Margin));
        using var surface = SKSurface.Create(new SKImageInfo(Math.Max(width, 240), height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var line = new SKPaint { Color = new SKColor(120, 120, 120), StrokeWidth = 1.5f, IsAntialias = true, IsStroke = true };
        using var box = new SKPaint { Color = new SKColor(222, 235, 247), IsAntialias = true };
        using var border = new SKPaint { Color = new SKColor(67, 147, 195), IsStroke = true, StrokeWidth = 1.5f, IsAntialias = true };
        using var text = new SKPaint { Color = SKColors.Black, TextSize = 12, IsAntialias = true };
        using var split = new SKPaint { Color = new SKColor(180, 60, 40), TextSize = 11, IsAntialias = true };
        foreach (var (node, (x, depth)) in positions)
        {
            var (left, top) = Corner(x, depth);
            foreach (var child in node.Children)
            {
                var (childLeft, childTop) = Corner(positions[child].X, positions[child].Depth);
                canvas.DrawLine(left + (BoxWidth / 2), top + BoxHeight, childLeft + (BoxWidth / 2), childTop, line);
            }

            if (node.SplitLayerName is { } layer)
            {
                canvas.DrawText($"split at {layer}", left + 4, top + BoxHeight + 14, split);
            }
        }

        foreach (var (node, (x, depth)) in positions)
        {
            var (left, top) = Corner(x, depth);
            canvas.DrawRoundRect(left, top, BoxWidth, BoxHeight, 6, 6, box);
            canvas.DrawRoundRect(left, top, BoxWidth, BoxHeight, 6, 6, border);
            canvas.DrawText($"{node.Rows.Count} inputs", left + 6, top + 16, text);
            var largest = node.ClassCounts.Select((count, label) => (count, label)).Where(c => c.count > 0)
                .OrderByDescending(c => c.count).ThenBy(c => c.label).Take(2)
                .Select(c => $"{tree.ClassNames[c.label]} {c.count}");
            canvas.DrawText(string.Join(", ", largest), left + 6, top + 34, text);
        }

        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static (float Left, float Top) Corner(float x, int depth) =>
        (Margin + (x * ColumnWidth) + ((ColumnWidth - BoxWidth) / 2), Margin + (depth * RowHeight));

    /// <summary>Leaves take consecutive columns; a parent sits above the middle of its children. Returns the deepest depth.</summary>
    private static int Place(PathTreeNode node, int depth, Dictionary<PathTreeNode, (float, int)> positions, ref float nextLeaf)
    {
        if (node.Children.Count == 0)
        {
            positions[node] = (nextLeaf++, depth);
            return depth;
        }

        int deepest = depth;
        foreach (var child in node.Children)
        {
            deepest = Math.Max(deepest, Place(child, depth + 1, positions, ref nextLeaf));
        }

        positions[node] = (node.Children.Average(c => positions[c].Item1), depth);
        return deepest;
    }
}
