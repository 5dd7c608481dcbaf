using System.Globalization;
using System.Text;

namespace Microsoft.ML.Decoupling.Analysis.Report;

/// <summary>A Markdown pipe table.</summary>
internal static class MarkdownTable
{
    public static string Write(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", header.Select(Escape)).AppendLine(" |");
        text.Append('|').AppendJoin('|', header.Select(_ => " --- ")).AppendLine("|");
        foreach (var row in rows)
        {
            text.Append("| ").AppendJoin(" | ", row.Select(Escape)).AppendLine(" |");
        }

        return text.ToString();
    }

    public static string Number(double value, int decimals = 3) => double.IsNaN(value) ? "–" : value.ToString($"F{decimals}", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal);
}
