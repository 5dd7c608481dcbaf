using Microsoft.ML.Decoupling.Analysis.Clustering;
using Microsoft.ML.Decoupling.Analysis.Concepts;
using Microsoft.ML.Decoupling.Analysis.Embedding;

namespace Microsoft.ML.Decoupling.Analysis.Report;

/// <summary>Settings of <see cref="DecouplingReport.Write"/>: the report's title, its label column, the analyses' sample sizes and seeds, and optional concept images.</summary>
public sealed class DecouplingReportOptions
{
    /// <summary>The report's title. Default "Decoupled network report".</summary>
    public string Title { get; set; } = "Decoupled network report";

    /// <summary>The key-typed label column of the data. Default <see cref="DecouplingColumnNames.Label"/>.</summary>
    public string LabelColumnName { get; set; } = DecouplingColumnNames.Label;

    /// <summary>k of the k-NN separability. Default 5.</summary>
    public int Neighbors { get; set; } = 5;

    /// <summary>At most this many paths (seeded sample) for the k-NN separability. Default 5000.</summary>
    public int SeparabilitySamples { get; set; } = 5000;

    /// <summary>Settings of the t-SNE figure (its seed included).</summary>
    public TsneOptions Embedding { get; set; } = new();

    /// <summary>Settings of the path tree (its seed included).</summary>
    public PathTreeOptions Tree { get; set; } = new();

    /// <summary>Images with concept masks for the concept section (e.g. <see cref="ConceptImage.FromShapes"/>); null to leave it out.</summary>
    public IReadOnlyList<ConceptImage>? ConceptImages { get; set; }

    /// <summary>Settings of the concept section.</summary>
    public ConceptOptions Concepts { get; set; } = new();

    /// <summary>Seed of the k-NN sample. Default 0.</summary>
    public int Seed { get; set; }
}
