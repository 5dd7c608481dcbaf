using System.Xml.Linq;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>
/// The library's public types are a decision: the list below is the whole public surface, so adding a public type (or
/// making one internal) fails here until the list is updated. Every public type has an XML summary.
/// </summary>
[TestClass]
public sealed class PublicSurfaceTests
{
    /// <summary>
    /// Issue 17's target, reached: what a user names (entry points, options, results, exceptions). Types only the library
    /// and the tests need are internal. Lower it as types go; never raise it without a reason.
    /// </summary>
    private const int MaximumPublicTypes = 75;

    private static readonly string[] Expected = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Documentation", "PublicTypes.txt"))
        .Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    [TestMethod]
    public void PublicTypes_AreTheListedOnes()
    {
        string[] actual = PublicTypeNames();
        var added = actual.Except(Expected).ToList();
        var removed = Expected.Except(actual).ToList();
        Assert.IsEmpty(added, $"New public types (make them internal, or add them to Documentation/PublicTypes.txt on purpose): {string.Join(", ", added)}");
        Assert.IsEmpty(removed, $"Public types no longer public (remove them from Documentation/PublicTypes.txt): {string.Join(", ", removed)}");
        Assert.IsLessThanOrEqualTo(MaximumPublicTypes, actual.Length);
    }

    [TestMethod]
    public void EveryPublicType_HasAnXmlSummary()
    {
        string xmlPath = Path.ChangeExtension(typeof(DecouplingColumnNames).Assembly.Location, ".xml");
        Assert.IsTrue(File.Exists(xmlPath), $"The library's XML documentation is missing: {xmlPath}");
        var summaries = XDocument.Load(xmlPath).Descendants("member")
            .Where(m => ((string?)m.Attribute("name"))?.StartsWith("T:", StringComparison.Ordinal) == true)
            .ToDictionary(m => ((string)m.Attribute("name")!)[2..], m => m.Element("summary")?.Value.Trim() ?? "");
        var undocumented = typeof(DecouplingColumnNames).Assembly.GetExportedTypes()
            .Select(t => t.FullName!.Replace('+', '.'))
            .Where(name => !summaries.TryGetValue(name, out string? summary) || summary.Length < 10)
            .ToList();
        Assert.IsEmpty(undocumented, $"Public types without an XML summary: {string.Join(", ", undocumented)}");
    }

    private static string[] PublicTypeNames() =>
        typeof(DecouplingColumnNames).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
}
