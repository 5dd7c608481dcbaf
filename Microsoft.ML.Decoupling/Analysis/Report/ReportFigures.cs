using Microsoft.ML.Decoupling.Analysis.Activity;
using Microsoft.ML.Decoupling.Analysis.Embedding;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Microsoft.ML.Decoupling.Analysis.Report;

/// <summary>The report's PNG figures, drawn with OxyPlot and rendered by SkiaSharp without a display.</summary>
internal static class ReportFigures
{
    private const int Width = 900;

    // Tableau 10: distinguishable classes in the scatter plot.
    private static readonly OxyColor[] Palette =
    [
        OxyColor.FromRgb(31, 119, 180), OxyColor.FromRgb(255, 127, 14), OxyColor.FromRgb(44, 160, 44), OxyColor.FromRgb(214, 39, 40),
        OxyColor.FromRgb(148, 103, 189), OxyColor.FromRgb(140, 86, 75), OxyColor.FromRgb(227, 119, 194), OxyColor.FromRgb(127, 127, 127),
        OxyColor.FromRgb(188, 189, 34), OxyColor.FromRgb(23, 190, 207),
    ];

    /// <summary>Paper Fig. 4: energetic, silent and dynamic filters per gated layer (stacked horizontal bars).</summary>
    public static byte[] FilterStates(FilterActivity activity)
    {
        var model = NewModel("Filter states per gated layer", "filters");
        var layers = new CategoryAxis { Position = AxisPosition.Left, Title = "layer", StartPosition = 1, EndPosition = 0 };
        layers.Labels.AddRange(activity.Layers.Select(l => l.Layer));
        model.Axes.Add(layers);
        foreach (var (title, value, colour) in new (string, Func<FilterStateCounts, int>, OxyColor)[]
        {
            ("energetic", s => s.Energetic, OxyColor.FromRgb(214, 96, 77)),
            ("dynamic", s => s.Dynamic, OxyColor.FromRgb(67, 147, 195)),
            ("silent", s => s.Silent, OxyColor.FromRgb(180, 180, 180)),
        })
        {
            var series = new BarSeries { Title = title, IsStacked = true, FillColor = colour };
            series.Items.AddRange(activity.Layers.Select(l => new BarItem(value(l.States))));
            model.Series.Add(series);
        }

        return Render(model, Height(activity.Layers.Count));
    }

    /// <summary>Paper Fig. 5: number of filters per range of "times open" for one layer.</summary>
    public static byte[] ActivationCounts(ActivationCountHistogram histogram)
    {
        var model = NewModel($"Times each filter of {histogram.Layer} is open ({histogram.Images} inputs)", "filters");
        var bins = new CategoryAxis { Position = AxisPosition.Left, Title = "times open", StartPosition = 1, EndPosition = 0 };
        bins.Labels.AddRange(histogram.Lower.Select((low, i) => low == histogram.Upper[i] ? $"{low}" : $"{low}–{histogram.Upper[i]}"));
        model.Axes.Add(bins);
        var series = new BarSeries { FillColor = OxyColor.FromRgb(67, 147, 195) };
        series.Items.AddRange(histogram.Filters.Select(f => new BarItem(f)));
        model.Series.Add(series);
        return Render(model, Height(histogram.Filters.Count));
    }

    /// <summary>k-NN accuracy of the class from each layer's gate vector and from the whole path.</summary>
    public static byte[] Separability(PathSeparability separability)
    {
        var model = NewModel($"{separability.Neighbors}-NN accuracy of the class from the path", "leave-one-out accuracy");
        model.Axes[0].Minimum = 0;
        model.Axes[0].Maximum = 1;
        var entries = separability.Layers.Append(separability.WholePath).ToArray();
        var layers = new CategoryAxis { Position = AxisPosition.Left, Title = "layer", StartPosition = 1, EndPosition = 0 };
        layers.Labels.AddRange(entries.Select(e => e.Layer));
        model.Axes.Add(layers);
        var series = new BarSeries { FillColor = OxyColor.FromRgb(67, 147, 195) };
        series.Items.AddRange(entries.Select(e => new BarItem(e.Accuracy)));
        model.Series.Add(series);
        model.Annotations.Add(new OxyPlot.Annotations.LineAnnotation
        {
            Type = OxyPlot.Annotations.LineAnnotationType.Vertical,
            X = separability.ChanceAccuracy,
            Text = "chance",
            Color = OxyColors.Gray,
            LineStyle = LineStyle.Dash,
        });
        return Render(model, Height(entries.Length));
    }

    /// <summary>Paper Fig. 3: the t-SNE of the paths, one colour per class.</summary>
    public static byte[] Embedding(PathEmbedding embedding)
    {
        var model = new PlotModel { Title = $"t-SNE of the calculation paths ({embedding.Points.Count} inputs)", Background = OxyColors.White };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, IsAxisVisible = false });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, IsAxisVisible = false });
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside });
        for (int c = 0; c < embedding.ClassNames.Count; c++)
        {
            var colour = Palette[c % Palette.Length];
            var series = new ScatterSeries { Title = embedding.ClassNames[c], MarkerType = MarkerType.Circle, MarkerSize = 2.5, MarkerFill = colour };
            series.Points.AddRange(embedding.Points.Where(p => p.Label == c).Select(p => new ScatterPoint(p.X, p.Y)));
            model.Series.Add(series);
        }

        return Render(model, 700);
    }

    private static PlotModel NewModel(string title, string valueTitle)
    {
        var model = new PlotModel { Title = title, Background = OxyColors.White };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = valueTitle, MinimumPadding = 0, AbsoluteMinimum = 0 });
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside });
        return model;
    }

    private static int Height(int rows) => Math.Clamp(120 + (rows * 22), 240, 2400);

    private static byte[] Render(PlotModel model, int height)
    {
        using var stream = new MemoryStream();
        // Text shaping would need HarfBuzz's native library, which no package here ships for Linux; plain text is enough.
        new OxyPlot.SkiaSharp.PngExporter { Width = Width, Height = height, UseTextShaping = false }.Export(model, stream);
        return stream.ToArray();
    }
}
