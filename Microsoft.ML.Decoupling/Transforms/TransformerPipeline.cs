using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// Builds the ML.NET stages of a <see cref="DecoupledNetworkTransformer"/> around a network: its ONNX graph, ML.NET's
/// arg-max scorer for PredictedLabel, the column copies. Holds only the context and a copy of the column settings, so the
/// transformers it makes (and the compact ones they make) keep neither the estimator nor its options (whose initial
/// weights may hold a whole network) alive.
/// </summary>
internal sealed class TransformerPipeline
{
    // Copy of the network's scores that ML.NET's arg-max scorer reads; dropped at the end of the pipeline.
    internal const string ScorerInputColumn = "DecouplingNetworkScore";
    private readonly TransformsCatalog _catalog;
    private readonly IHostEnvironment _environment;
    private readonly IHost _host;
    private readonly ColumnNames _columns;
    private readonly bool _checkPixels;

    public TransformerPipeline(TransformsCatalog catalog, IHostEnvironment environment, IHost host, DecoupleNetworkEstimator.Options options)
    {
        _catalog = catalog;
        _environment = environment;
        _host = host;
        _columns = new ColumnNames(options.FeatureColumnName, options.LabelColumnName, options.ScoreColumnName, options.PredictedLabelColumnName, options.PathColumnName, options.ResponsesColumnName, options.PathDeviationColumnName);
        _checkPixels = options.CheckPixels;
    }

    public DecoupledNetworkTransformer Create(IDataView input, DecoupledNetwork network, int classes, IReadOnlyList<EpochReport> history)
    {
        // ML.NET never deletes the temporary file it makes from a model Stream, so the transformer writes and owns
        // the file itself and deletes it on Dispose (ML.NET reads it again when the model is saved).
        var perRow = ExportOptions();
        perRow.PerRow = true;
        var modelFile = OwnedModelFile.Create(DecoupledNetworkOnnxExporter.Export(network, perRow));
        var stages = new List<ITransformer>();
        try
        {
            // A compact graph does not compute the filters it removed, so it has no Responses output.
            bool responses = network.IsGated && !network.IsCompact;
            bool deviation = responses && network.PathDeviation is not null;
            string[] outputs = deviation ? [_columns.ScoreColumnName, _columns.PathColumnName, _columns.ResponsesColumnName, _columns.PathDeviationColumnName]
                : responses ? [_columns.ScoreColumnName, _columns.PathColumnName, _columns.ResponsesColumnName]
                : [_columns.ScoreColumnName, _columns.PathColumnName];
            var data = Append(stages, OnnxCatalog().ApplyOnnxModel(outputs, [_columns.FeatureColumnName], modelFile.Path), input);
            data = Append(stages, _catalog.CopyColumns(ScorerInputColumn, _columns.ScoreColumnName), data);

            // ML.NET's scorer always writes a column named "Score" (softmax of its input here): it reads a copy of the
            // network's scores, and the copy is put back over whatever it wrote (see ArgMaxPredictionTransformerFactory).
            var prediction = ArgMaxPredictionTransformerFactory.Create(
                _host, data.Schema, ScorerInputColumn, _columns.LabelColumnName, _columns.PredictedLabelColumnName, classes);
            stages.Add(prediction);
            data = prediction.Transform(data);
            data = Append(stages, _catalog.CopyColumns(_columns.ScoreColumnName, ScorerInputColumn), data);
            string[] scratch = _columns.ScoreColumnName == ArgMaxPredictionTransformerFactory.ScorerScoreColumn
                ? [ScorerInputColumn]
                : [ScorerInputColumn, ArgMaxPredictionTransformerFactory.ScorerScoreColumn];
            Append(stages, _catalog.DropColumns(scratch), data);
            var columns = new DecouplingColumns(_columns.FeatureColumnName, _columns.ScoreColumnName, _columns.PredictedLabelColumnName, _columns.PathColumnName,
                responses ? _columns.ResponsesColumnName : null, deviation ? _columns.PathDeviationColumnName : null);
            // The compact model is built by the same stages, on a view with the same schema and no rows.
            var schema = new SchemaOnlyDataView(input.Schema);
            return new DecoupledNetworkTransformer(network, new TransformerChain<ITransformer>(stages.ToArray()), modelFile, history, columns, compact => Create(schema, compact, classes, history))
            {
                CheckPixels = _checkPixels,
            };
        }
        catch
        {
            foreach (var stage in stages)
            {
                (stage as IDisposable)?.Dispose();
            }

            modelFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The catalog that builds the ONNX stage. ML.NET runs it on MLContext.GpuDeviceId and falls back to the CPU only on
    /// ONNX Runtime errors, but the CPU build of ONNX Runtime has no CUDA entry point at all, so with it ML.NET fails with an
    /// EntryPointNotFoundException even when FallbackToCpu is set (dotnet/machinelearning#4656). In that case a context
    /// without a GPU builds the stage.
    /// </summary>
    private TransformsCatalog OnnxCatalog()
    {
        var (gpu, fallback) = CatalogEnvironment.GpuSettings(_environment);
        return gpu is not null && fallback && !Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider")
            ? new MLContext().Transforms
            : _catalog;
    }

    /// <summary>The export options naming the graph's input and outputs after the columns.</summary>
    public OnnxExportOptions ExportOptions() => new()
    {
        InputName = _columns.FeatureColumnName,
        ScoreName = _columns.ScoreColumnName,
        PathName = _columns.PathColumnName,
        ResponsesName = _columns.ResponsesColumnName,
        PathDeviationName = _columns.PathDeviationColumnName,
    };

    private static IDataView Append<TTransformer>(List<ITransformer> stages, IEstimator<TTransformer> estimator, IDataView data)
        where TTransformer : ITransformer
    {
        var transformer = estimator.Fit(data);
        stages.Add(transformer);
        return transformer.Transform(data);
    }

    private sealed record ColumnNames(string FeatureColumnName, string LabelColumnName, string ScoreColumnName, string PredictedLabelColumnName, string PathColumnName, string ResponsesColumnName, string PathDeviationColumnName);
}
