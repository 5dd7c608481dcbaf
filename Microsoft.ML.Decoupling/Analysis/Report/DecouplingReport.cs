using System.Globalization;
using System.Text;
using Microsoft.ML.Decoupling.Analysis.Activity;
using Microsoft.ML.Decoupling.Analysis.Clustering;
using Microsoft.ML.Decoupling.Analysis.Concepts;
using Microsoft.ML.Decoupling.Analysis.Embedding;
using Microsoft.ML.Decoupling.Analysis.Paths;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Analysis.Report;

/// <summary>
/// Runs the interpretation analyses of paper §4.2 for one model and one data set and writes a Markdown report with its
/// tables, PNG figures and CSV files into a folder.
/// </summary>
public static class DecouplingReport
{
    /// <summary>File name of the Markdown report in the folder.</summary>
    public const string ReportFileName = "report.md";

    /// <summary>
    /// Streams <paramref name="data"/> through <paramref name="model"/>, runs every analysis, then writes the report into
    /// <paramref name="folder"/> (created if missing). Every option is checked before the data are read. Everything is
    /// computed before the first file is written; the files are written to temporary files first and moved into place
    /// only when all of them were written, so a failure while writing leaves the folder as it was (a failure among the
    /// final renames, which are not one transaction, could still leave a mix); the report lists exactly the files written.
    /// </summary>
    /// <param name="model">The fitted transformer.</param>
    /// <param name="data">Images and a key-typed label column.</param>
    /// <param name="folder">Output folder.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="progress">Receives the progress of each long step.</param>
    /// <param name="cancellationToken">Stops between steps and batches.</param>
    /// <returns>Full paths of the files written, the report last.</returns>
    public static IReadOnlyList<string> Write(
        DecoupledNetworkTransformer model,
        IDataView data,
        string folder,
        DecouplingReportOptions? options = null,
        IProgress<AnalysisProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= new DecouplingReportOptions();
        // Every option before the data are streamed through the model (minutes on a large set).
        (options.Embedding ?? throw new ArgumentNullException(nameof(options), "DecouplingReportOptions.Embedding is null.")).Validate();
        (options.Tree ?? throw new ArgumentNullException(nameof(options), "DecouplingReportOptions.Tree is null.")).Validate();
        (options.Concepts ?? throw new ArgumentNullException(nameof(options), "DecouplingReportOptions.Concepts is null.")).Validate();
        if (options.Neighbors < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Neighbors, "DecouplingReportOptions.Neighbors must be at least 1.");
        }

        if (options.SeparabilitySamples < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SeparabilitySamples, "DecouplingReportOptions.SeparabilitySamples must be at least 2.");
        }

        if (options.ConceptImages is { } conceptImages)
        {
            ConceptAnalysis.Check(model.Network, conceptImages);
        }

        if (File.Exists(folder))
        {
            throw new ArgumentException($"'{folder}' is a file; expected a folder for the report.", nameof(folder));
        }

        // Before the analyses (minutes on a large set): a folder that cannot be written fails now, naming itself.
        string root = Path.GetFullPath(folder);
        bool created = !Directory.Exists(root);
        RequireWritable(root, nameof(folder));
        try
        {
            return WriteInto(root, model, data, options, progress, cancellationToken);
        }
        catch when (created)
        {
            // Leave no empty folder behind either.
            try
            {
                Directory.Delete(root, recursive: false);
            }
            catch (IOException)
            {
            }

            throw;
        }
    }

    private static IReadOnlyList<string> WriteInto(string root, DecoupledNetworkTransformer model, IDataView data, DecouplingReportOptions options, IProgress<AnalysisProgress>? progress, CancellationToken cancellationToken)
    {
        var paths = PathSetReader.Read(model, data, options.LabelColumnName, progress, cancellationToken);
        paths.RequireLayers();
        var activity = FilterActivity.Compute(paths);
        cancellationToken.ThrowIfCancellationRequested();
        var separability = PathSeparability.Compute(paths, options.Neighbors, options.SeparabilitySamples, options.Seed, progress);
        cancellationToken.ThrowIfCancellationRequested();
        var embedding = PathEmbedding.Compute(paths, options.Embedding, progress, cancellationToken);
        var hopkins = HopkinsStatistic.PerLayer(paths, options.Tree.HopkinsSamples, options.Tree.Seed);
        var tree = PathDecisionTree.Build(paths, options.Tree, progress);
        cancellationToken.ThrowIfCancellationRequested();
        var concepts = options.ConceptImages is { } images
            ? ConceptAnalysis.Analyze(model.Network, images, options.Concepts, progress, cancellationToken)
            : null;

        var files = new List<(string Name, byte[] Content)>
        {
            ("filter-states.png", ReportFigures.FilterStates(activity)),
            ("activation-counts.png", ReportFigures.ActivationCounts(activity.Layers[^1].HistogramOf())),
            ("separability.png", ReportFigures.Separability(separability)),
            ("embedding.png", ReportFigures.Embedding(embedding)),
            ("path-tree.png", PathTreeFigure.Draw(tree)),
            ("filter-activity.csv", Encoding.UTF8.GetBytes(ReportTables.ActivityCsv(activity))),
            ("embedding.csv", Encoding.UTF8.GetBytes(ReportTables.EmbeddingCsv(embedding))),
        };
        if (concepts is not null && OcclusionFigure.Draw(model.Network, options.ConceptImages!, concepts, options.Concepts.OcclusionFill) is { } occlusion)
        {
            files.Add(("occlusion.png", occlusion));
        }

        var markdown = ReportTables.Markdown(options.Title, model, paths, activity, separability, embedding, hopkins, tree, concepts, files.Select(f => f.Name).ToArray());
        files.Add((ReportFileName, Encoding.UTF8.GetBytes(markdown)));

        // Every file to a temporary one first; only when all are written are they moved into place.
        var staged = new List<(string Temporary, string Path)>();
        try
        {
            foreach (var (name, content) in files)
            {
                string path = Path.Combine(root, name);
                if (Directory.Exists(path))
                {
                    throw new IOException($"Cannot write the report file '{path}': it is a folder.");
                }

                string temporary = Path.Combine(root, $".{name}.{Guid.NewGuid():N}.tmp");
                staged.Add((temporary, path));
                File.WriteAllBytes(temporary, content);
            }
        }
        catch
        {
            foreach (var (temporary, _) in staged)
            {
                File.Delete(temporary);
            }

            throw;
        }

        var written = new List<string>();
        foreach (var (temporary, path) in staged)
        {
            File.Move(temporary, path, overwrite: true);
            written.Add(path);
        }

        progress?.Report(("report", files.Count, files.Count));
        return written;
    }

    /// <summary>Creates <paramref name="root"/> if needed and writes and deletes a probe file in it.</summary>
    private static void RequireWritable(string root, string parameter)
    {
        string probe = Path.Combine(root, $".write-probe-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(root);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"The report folder '{root}' cannot be written: {ex.Message}", parameter, ex);
        }
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
