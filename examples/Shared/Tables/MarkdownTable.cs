using System.Text;

namespace Decoupling.Examples.Shared.Tables;

/// <summary>A markdown table: a header row, the <c>|---|</c> separator and one line a row; cells are written as given.</summary>
public sealed class MarkdownTable
{
    private readonly List<string> _rows = [];

    /// <summary>A table with these column headers.</summary>
    public MarkdownTable(params string[] columns)
    {
        ArgumentOutOfRangeException.ThrowIfZero(columns.Length);
        Columns = columns;
    }

    /// <summary>The column headers.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The rows added so far, each as its markdown line.</summary>
    public IReadOnlyList<string> Rows => _rows;

    /// <summary>Adds a row (one cell per column) and returns its markdown line.</summary>
    public string Add(params string[] cells)
    {
        if (cells.Length != Columns.Count)
        {
            throw new ArgumentException($"A row of this table has {Columns.Count} cells, got {cells.Length}.", nameof(cells));
        }

        string line = Line(cells);
        _rows.Add(line);
        return line;
    }

    /// <summary>One markdown row: <c>| a | b |</c>.</summary>
    public static string Line(IEnumerable<string> cells) => $"| {string.Join(" | ", cells)} |";

    /// <summary>The header, the separator and the rows, one a line (each line ends with a newline).</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(Line(Columns));
        text.AppendLine($"|{string.Concat(Enumerable.Repeat("---|", Columns.Count))}");
        _rows.ForEach(r => text.AppendLine(r));
        return text.ToString();
    }
}
