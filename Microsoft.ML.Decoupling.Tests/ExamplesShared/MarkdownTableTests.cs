using Decoupling.Examples.Shared.Tables;

namespace Microsoft.ML.Decoupling.Tests.ExamplesShared;

/// <summary>The shared markdown table writes the exact text the result files, scripts and docs quote.</summary>
[TestClass]
public sealed class MarkdownTableTests
{
    private static MarkdownTable TwoRows()
    {
        var table = new MarkdownTable("network", "ms / image");
        table.Add("resnet8", "0.125");
        table.Add("vgg", "1.5");
        return table;
    }

    [TestMethod]
    public void ToString_IsHeaderSeparatorAndRows()
    {
        string n = Environment.NewLine;
        Assert.AreEqual($"| network | ms / image |{n}|---|---|{n}| resnet8 | 0.125 |{n}| vgg | 1.5 |{n}", TwoRows().ToString());
    }

    [TestMethod]
    public void HeaderAndAdd_PrintTheSameTableRowByRow()
    {
        var printed = new MarkdownTable("network", "ms / image");
        string text = printed.Header + Environment.NewLine + printed.Add("resnet8", "0.125") + Environment.NewLine + printed.Add("vgg", "1.5") + Environment.NewLine;

        Assert.AreEqual(TwoRows().ToString(), text);
        CollectionAssert.AreEqual(new[] { "| resnet8 | 0.125 |", "| vgg | 1.5 |" }, TwoRows().Rows.ToArray());
    }

    [TestMethod]
    public void ToAlignedString_PadsEveryColumnToItsWidestCell()
    {
        string n = Environment.NewLine;
        Assert.AreEqual(
            $"| network | ms / image |{n}|---------|------------|{n}| resnet8 | 0.125      |{n}| vgg     | 1.5        |{n}",
            TwoRows().ToAlignedString());
    }

    [TestMethod]
    public void Line_AndSeparator_StandAlone()
    {
        Assert.AreEqual("| `--epochs 2` | 0.9 |", MarkdownTable.Line(["`--epochs 2`", "0.9"]));
        Assert.AreEqual("|---|---|---|", MarkdownTable.Separator(3));
    }

    [TestMethod]
    public void Add_RefusesARowOfAnotherWidth()
    {
        var table = new MarkdownTable("a", "b");

        var error = Assert.ThrowsExactly<ArgumentException>(() => table.Add("only one"));
        StringAssert.Contains(error.Message, "2 cells, got 1");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MarkdownTable());
    }
}
