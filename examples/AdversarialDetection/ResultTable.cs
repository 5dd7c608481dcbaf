using Decoupling.Examples.Shared.Statistics;
using Decoupling.Examples.Shared.Tables;
using static System.FormattableString;

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
        var table = new MarkdownTable(
            [
                "attack", "features", "detector",
                .. perClass.Select(n => Invariant($"AUC, {n}/class")),
                Invariant($"TPR@5%FPR, {perClass[^1]}/class"), Invariant($"accuracy, {perClass[^1]}/class"),
            ]);
        foreach (string row in _rowOrder)
        {
            var parts = row.Split('\t');
            table.Add(
                [
                    .. parts,
                    .. perClass.Select(n => Cell(parts, n, v => v.Auc)),
                    Cell(parts, perClass[^1], v => v.Tpr), Cell(parts, perClass[^1], v => v.Accuracy),
                ]);
        }

        return table.ToString();
    }

    private string Cell(string[] parts, int n, Func<(double Auc, double Tpr, double Accuracy), double> value)
    {
        if (!_cells.TryGetValue((parts[0], parts[1], parts[2], n), out var list) || list.Count == 0)
        {
            return "—";
        }

        var values = list.Select(value).ToArray();
        return Invariant($"{values.Average():F3} ± {SampleStatistics.StandardDeviation(values):F3}");
    }
}
