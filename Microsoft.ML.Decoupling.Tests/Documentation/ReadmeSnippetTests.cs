namespace Microsoft.ML.Decoupling.Tests;

/// <summary>The README's API snippet is the consumer app that CI builds against the packed library (.ci/consumer-check).</summary>
[TestClass]
public sealed class ReadmeSnippetTests
{
    [TestMethod]
    public void ApiSnippet_IsTheConsumerAppThatCiCompilesAndRuns()
    {
        string? root = FindRepositoryRoot();
        if (root is null)
        {
            Assert.Inconclusive("The repository (Decoupling.MLNet.sln) is not above the test assembly.");
        }

        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        int section = readme.IndexOf("## API in short", StringComparison.Ordinal);
        Assert.IsGreaterThanOrEqualTo(0, section, "README has an 'API in short' section");
        int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        string snippet = readme[start..end];
        string program = File.ReadAllText(Path.Combine(root, ".ci", "consumer", "Program.cs"));
        Assert.AreEqual(Normalize(program), Normalize(snippet), "README 'API in short' must be .ci/consumer/Program.cs verbatim");
    }

    private static string Normalize(string text) =>
        string.Join('\n', text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim().Split('\n').Select(line => line.TrimEnd()));

    private static string? FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Decoupling.MLNet.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
