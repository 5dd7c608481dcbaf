using System.Text;

namespace Decoupling.Examples.Shared.Tables;

/// <summary>
/// A markdown table: a header row, the <c>|---|</c> separator and one line a row; cells are written as given (format
/// numbers with the invariant culture before adding them). <see cref="ToString"/> writes the compact form the result
/// files and docs quote; <see cref="ToAlignedString"/> pads the columns for reading in a terminal.
/// </summary>
public sealed class MarkdownTable
{
    private readonly List<string[]> _rows = [];

    /// <summary>A table with these column headers.</summary>
    public MarkdownTable(params string[] columns)
    {
        ArgumentOutOfRangeException.ThrowIfZero(columns.Length);
        Columns = columns;
    }

    /// <summary>The column headers.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The rows added so far, each as its markdown line.</summary>
    public IReadOnlyList<string> Rows => [.. _rows.Select(Line)];

    /// <summary>The header row and the separator, on two lines (no newline at the end): what a table printed row by row starts with.</summary>
    public string Header => Line(Columns) + Environment.NewLine + Separator(Columns.Count);

    /// <summary>Adds a row (one cell per column) and returns its markdown line, for printing or logging it as it comes.</summary>
    public string Add(params string[] cells)
    {
        if (cells.Length != Columns.Count)
        {
            throw new ArgumentException($"A row of this table has {Columns.Count} cells, got {cells.Length}.", nameof(cells));
        }

        _rows.Add([.. cells]);
        return Line(cells);
    }

    /// <summary>One markdown row: <c>| a | b |</c>; also for a row appended to a table whose header is written elsewhere.</summary>
    public static string Line(IEnumerable<string> cells) => $"| {string.Join(" | ", cells)} |";

    /// <summary>The separator line of a table of <paramref name="columns"/> columns: <c>|---|---|</c>.</summary>
    public static string Separator(int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        return $"|{string.Concat(Enumerable.Repeat("---|", columns))}";
    }

    /// <summary>The header, the separator and the rows, one a line (each line ends with a newline).</summary>
    public override string ToString()
    {
        var text = new StringBuilder().AppendLine(Header);
        _rows.ForEach(r => text.AppendLine(Line(r)));
        return text.ToString();
    }

    /// <summary>As <see cref="ToString"/>, with every cell padded to its column's widest cell and the separator as wide.</summary>
    public string ToAlignedString()
    {
        int[] widths = [.. Columns.Select((c, i) => _rows.Select(r => r[i].Length).Prepend(c.Length).Max())];
        string Padded(IEnumerable<string> cells) => Line(cells.Select((c, i) => c.PadRight(widths[i])));
        var text = new StringBuilder().AppendLine(Padded(Columns));
        text.AppendLine($"|{string.Concat(widths.Select(w => new string('-', w + 2) + "|"))}");
        _rows.ForEach(r => text.AppendLine(Padded(r)));
        return text.ToString();
    }
}
