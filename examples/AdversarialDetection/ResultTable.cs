using System.Globalization;
using System.Text;

namespace AdversarialDetection;

/// <summary>Collects AUCs per (attack, features, trainer, images per class) over seeds and prints mean ± std.</summary>
internal sealed class ResultTable
{
    private readonly Dictionary<(string Attack, string Features, string Trainer, int PerClass), List<(double Auc, double Tpr, double Accuracy)>> _cells = [];
    private readonly List<string> _rowOrder = [];

    public void Add(string attack, string features, string trainer, int perClass, Microsoft.ML.Decoupling.Adversarial.DetectorMetrics metrics)
    {
        var key = (attack, features, trainer, perClass);
        if (!_cells.TryGetValue(key, out var list))
        {
            _cells[key] = list = [];
        }

        string row = $"{attack}\t{features}\t{trainer}";
        if (!_rowOrder.Contains(row))
        {
            _rowOrder.Add(row);
        }

        list.Add((metrics.Auc, metrics.TruePositiveRateAt5PercentFalsePositives, metrics.Accuracy));
    }

    /// <summary>Every cell's mean AUC over seeds, for summaries: (attack, features, trainer, images per class, AUC).</summary>
    public IEnumerable<(string Attack, string Features, string Trainer, int PerClass, double Auc)> MeanAucs() =>
        _cells.Where(c => c.Value.Count > 0).Select(c => (c.Key.Attack, c.Key.Features, c.Key.Trainer, c.Key.PerClass, c.Value.Average(v => v.Auc)));

    public string ToMarkdown(IReadOnlyList<int> perClass)
    {
        var text = new StringBuilder();
        text.Append("| attack | features | detector |");
        foreach (int n in perClass)
        {
            text.Append(CultureInfo.InvariantCulture, $" AUC, {n}/class |");
        }

        text.Append(CultureInfo.InvariantCulture, $" TPR@5%FPR, {perClass[^1]}/class | accuracy, {perClass[^1]}/class |\n|---|---|---|");
        text.Append(string.Concat(Enumerable.Repeat("---|", perClass.Count + 2))).Append('\n');
        foreach (string row in _rowOrder)
        {
            var parts = row.Split('\t');
            text.Append(CultureInfo.InvariantCulture, $"| {parts[0]} | {parts[1]} | {parts[2]} |");
            foreach (int n in perClass)
            {
                text.Append(' ').Append(Cell(parts, n, v => v.Auc)).Append(" |");
            }

            text.Append(' ').Append(Cell(parts, perClass[^1], v => v.Tpr)).Append(" | ").Append(Cell(parts, perClass[^1], v => v.Accuracy)).Append(" |\n");
        }

        return text.ToString();
    }

    private string Cell(string[] parts, int n, Func<(double Auc, double Tpr, double Accuracy), double> value)
    {
        if (!_cells.TryGetValue((parts[0], parts[1], parts[2], n), out var list) || list.Count == 0)
        {
            return "—";
        }

        var values = list.Select(value).ToArray();
        double mean = values.Average();
        double std = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
        return string.Create(CultureInfo.InvariantCulture, $"{mean:F3} ± {std:F3}");
    }
}
