using System.Globalization;
using Microsoft.ML.Decoupling.Adversarial;
using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Native;
using Microsoft.ML.Decoupling.Onnx;
using Microsoft.ML.Decoupling.Training;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// Trains a decoupled CNN (Li et al., ECCV 2020) on an image column and a key-typed label, and returns a
/// <see cref="DecoupledNetworkTransformer"/> that adds Score, PredictedLabel and Path columns.
/// </summary>
public sealed partial class DecoupleNetworkEstimator : IEstimator<DecoupledNetworkTransformer>
{
    private readonly TransformsCatalog _catalog;
    private readonly IHostEnvironment _environment;
    private readonly IHost _host;
    private readonly Options _options;
    private readonly TransformerPipeline _pipeline;

    internal DecoupleNetworkEstimator(TransformsCatalog catalog, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _catalog = catalog;
        _environment = CatalogEnvironment.Get(catalog);
        _host = _environment.Register(nameof(DecoupleNetworkEstimator));
        // The estimator validates and keeps its own copy: changing the caller's object later cannot bypass the checks.
        _options = options.Clone();
        _options.Validate();
        _pipeline = new TransformerPipeline(catalog, _environment, _host, _options);
    }

    /// <summary>Checks the input schema and returns the schema the transformer will produce.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var image = FindColumn(inputSchema, _options.FeatureColumnName, "featureColumnName");
        if (image.Kind != SchemaShape.Column.VectorKind.Vector || image.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException("featureColumnName",
                $"Column '{_options.FeatureColumnName}' must be a known-size vector of Single (C·H·W values); found {image.Kind} of {image.ItemType}.");
        }

        var label = FindColumn(inputSchema, _options.LabelColumnName, "labelColumnName");
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException("labelColumnName",
                $"Column '{_options.LabelColumnName}' must be a scalar key type (use MapValueToKey); found {label.Kind} of {label.ItemType}.");
        }

        // SchemaShape.Column has no public constructor. Public transforms give columns of the same kinds as ours:
        // vectors of Single (Score, Path; sizes are only known after Fit) and a copy of the key label (PredictedLabel).
        var shapes = new MLContext().Transforms;
        var outputs = shapes.Concatenate(_options.ScoreColumnName, _options.FeatureColumnName)
            .Append(shapes.Concatenate(_options.PathColumnName, _options.FeatureColumnName))
            .Append(shapes.CopyColumns(_options.PredictedLabelColumnName, _options.LabelColumnName));
        if (!_options.UseGates)
        {
            return outputs.GetOutputSchema(inputSchema);
        }

        var gated = outputs.Append(shapes.Concatenate(_options.ResponsesColumnName, _options.FeatureColumnName));
        return _options.DeviationCalibrationImages > 0
            ? gated.Append(shapes.Concatenate(_options.PathDeviationColumnName, _options.FeatureColumnName)).GetOutputSchema(inputSchema)
            : gated.GetOutputSchema(inputSchema);
    }

    /// <summary>Validates the data, trains the network and returns the fitted transformer.</summary>
    public DecoupledNetworkTransformer Fit(IDataView input) => Fit(input, CancellationToken.None);

    /// <summary>
    /// Validates the data, trains the network and returns the fitted transformer; <paramref name="cancellation"/> stops
    /// the reading between two rows or the training between two batches with an <see cref="OperationCanceledException"/>
    /// (the checkpoint, if any, keeps the last finished epoch, and nothing else is left behind: a training cache on disk,
    /// see <see cref="Options.TrainingDataInMemoryLimitMegabytes"/>, is deleted whether Fit succeeds or fails).
    /// </summary>
    /// <exception cref="TrainingDivergedException">The training diverged (a NaN or infinite loss or weight); the checkpoint,
    /// if any, keeps the last finished epoch.</exception>
    /// <exception cref="IOException"><see cref="Options.CheckpointPath"/> or, when the data may not fit the in-memory limit,
    /// <see cref="Options.TrainingCacheFolder"/> cannot be written (checked before the data is read).</exception>
    /// <exception cref="InvalidOperationException">The application lacks a libtorch or ONNX Runtime native package (checked
    /// before the data is read; the message names the package).</exception>
    public DecoupledNetworkTransformer Fit(IDataView input, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (imageColumn, labelColumn, classes, geometry) = ValidateSchema(input.Schema);
        if (_options.CheckpointPath is { } checkpointPath)
        {
            // Before the data is read and long before the first epoch ends and writes it.
            TrainingCheckpoint.RequireWritable(checkpointPath, nameof(Options.CheckpointPath));
        }

        // The native packages the application must add, named before the data is read and long before the training
        // ends and needs ONNX Runtime for the fitted transformer.
        NativePackageCheck.EnsureForTraining();
        var shape = new ImageShape(geometry.Channels, geometry.Height, geometry.Width);
        var reader = new TrainingDataReader(
            _options.FeatureColumnName, shape, (long)_options.TrainingDataInMemoryLimitMegabytes << 20, _options.TrainingCacheFolder ?? Path.GetTempPath());
        if (reader.MaySpill(input))
        {
            // Before the data is read: a cache folder that cannot be written fails now, not after a long reading pass.
            DiskCachedTrainingImages.RequireWritable(_options.TrainingCacheFolder ?? Path.GetTempPath(), nameof(Options.TrainingCacheFolder), shape);
        }

        using var channel = _host.Start("Training");
        var readClock = System.Diagnostics.Stopwatch.StartNew();
        // Disposing the images deletes a disk cache, also when the training fails or is cancelled.
        using var images = reader.Read(input, imageColumn, labelColumn, _options.Normalization is null && _options.NormalizeFromData, cancellation, out var measured, out long unlabelled);
        if (images.Count == 0)
        {
            throw new ArgumentException(unlabelled == 0
                ? "The training data has no rows."
                : $"The training data's {unlabelled} rows all have a missing '{_options.LabelColumnName}'; expected rows with a label.", nameof(input));
        }

        channel.Info(MessageSensitivity.None, $"Training data: {images} (read in {readClock.Elapsed.TotalSeconds:F1} s).");
        if (unlabelled > 0)
        {
            channel.Warning(MessageSensitivity.None, $"{unlabelled} rows with a missing '{_options.LabelColumnName}' were skipped, as ML.NET's trainers skip them.");
        }

        if (_options.SparsityWeight > 0 && _options.SparsityWarmupEpochs >= _options.Epochs)
        {
            channel.Warning(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                $"{nameof(Options.SparsityWarmupEpochs)} ({_options.SparsityWarmupEpochs}) is not below {nameof(Options.Epochs)} ({_options.Epochs}): λs ramps in over the whole run and its last epoch trains with {(double)(_options.Epochs - 1) / _options.SparsityWarmupEpochs:P0} of {nameof(Options.SparsityWeight)}."));
        }
        // Without a seed of the user's, a run that resumes from its checkpoint takes the seed it was started with (it is
        // the checkpoint's, and would be refused as another run's otherwise); a fresh run draws one from the MLContext.
        int? resumedSeed = _options.Seed is null ? CheckpointSeed(_options.CheckpointPath) : null;
        int seed = _options.Seed ?? resumedSeed ?? _host.Rand.Next();
        if (resumedSeed is not null)
        {
            channel.Info(MessageSensitivity.None, $"{nameof(Options.Seed)} is not set: the run resumes with its checkpoint's seed {seed}.");
        }

        var (gpu, fallback) = CatalogEnvironment.GpuSettings(_environment);
        var device = TrainingDevice.Select(gpu, fallback, out string? deviceWarning);
        if (deviceWarning is not null)
        {
            channel.Warning(MessageSensitivity.None, deviceWarning);
        }

        ConvolutionSelfCheck.EnsureCorrectFor(device, warning => channel.Warning(MessageSensitivity.None, warning));

        var normalization = _options.Normalization ?? measured;
        channel.Info(MessageSensitivity.None,
            $"Decoupling a {(_options.UseGates ? "gated" : "dense")} {_options.Architecture} on {images.Count} images of {shape}, {classes} classes, {_options.Epochs} epochs, seed {seed}, device {device}"
            + (normalization is null ? "." : $", normalisation {normalization}."));

        // The fit's own generators draw the initialisation and, per epoch, the gate noise (see DecouplingTrainer):
        // fits side by side in one process give what they give alone, and torch's process-wide generator is not used.
        var network = _options.Architecture.Build(shape, classes, _options.UseGates, _options.GateReduction, normalization, seed);
        try
        {
            var settings = _options.ToTrainingSettings(seed, device);
            if (_options.DensePretrainingEpochs > 0 && !(settings.CheckpointPath is { } resumed && File.Exists(resumed)))
            {
                // Not when the decoupling stage resumes from its checkpoint, which replaces every weight anyway.
                DensePretraining.Run(network, _options.Architecture, _options.DensePretrainingEpochs, settings, _options.InitialWeights, images, line => channel.Info(MessageSensitivity.None, line), cancellation);
            }
            else if (_options.InitialWeights is { } weights)
            {
                channel.Info(MessageSensitivity.None, DensePretraining.Describe(weights, weights.ApplyWithReport(network)));
            }

            // Export the untrained network once: a clash between the output names and the graph's own names is
            // reported now, not after the training.
            _ = DecoupledNetworkOnnxExporter.Export(network, _pipeline.ExportOptions());
            var trainer = new DecouplingTrainer(
                settings,
                report => channel.Info(MessageSensitivity.None, report.ToString()),
                line => channel.Info(MessageSensitivity.None, line));
            var history = trainer.Train(network, images, cancellation);
            if (LossGrowthCheck.Warning(history, classes, _options.LearningRate) is { } lossWarning)
            {
                channel.Warning(MessageSensitivity.None, lossWarning);
            }

            network.to(CPU);
            channel.Info(MessageSensitivity.None, $"Training done; path length {network.Description.PathLayout.PathLength}.");
            if (network.IsGated && _options.DeviationCalibrationImages > 0)
            {
                network.PathDeviation = PathDeviation.FromTrainingImages(network, images, _options.DeviationCalibrationImages);
                channel.Info(MessageSensitivity.None, $"Path deviation: class statistics of the paths of {Math.Min(images.Count, _options.DeviationCalibrationImages)} training images.");
            }

            return CreateTransformer(input, network, classes, history);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    internal DecoupledNetworkTransformer CreateTransformer(IDataView input, DecoupledNetwork network, int classes, IReadOnlyList<EpochReport> history) =>
        _pipeline.Create(input, network, classes, history);

    private (DataViewSchema.Column Image, DataViewSchema.Column Label, int Classes, (int Channels, int Height, int Width) Geometry) ValidateSchema(DataViewSchema schema)
    {
        var image = schema.GetColumnOrNull(_options.FeatureColumnName)
            ?? throw new ArgumentOutOfRangeException("featureColumnName", $"Column '{_options.FeatureColumnName}' was not found in the input data.");
        if (image.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Size == 0)
        {
            throw new ArgumentOutOfRangeException("featureColumnName",
                $"Column '{_options.FeatureColumnName}' must be a known-size Vector<Single> of C·H·W values; found {image.Type}.");
        }

        var geometry = ResolveGeometry(image, vector);
        long expected = (long)geometry.Channels * geometry.Height * geometry.Width;
        if (vector.Size != expected)
        {
            throw new ArgumentOutOfRangeException("featureColumnName",
                $"Column '{_options.FeatureColumnName}' must be Vector<Single, {expected}> ({geometry.Channels}×{geometry.Height}×{geometry.Width}); found {image.Type}.");
        }

        var label = schema.GetColumnOrNull(_options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException("labelColumnName", $"Column '{_options.LabelColumnName}' was not found in the input data.");
        if (label.Type is not KeyDataViewType key || key.Count < 2 || key.Count > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException("labelColumnName",
                $"Column '{_options.LabelColumnName}' must be a key type with at least 2 values (use MapValueToKey); found {label.Type}.");
        }

        if (_options.ScoreColumnName != ArgMaxPredictionTransformerFactory.ScorerScoreColumn
            && schema.GetColumnOrNull(ArgMaxPredictionTransformerFactory.ScorerScoreColumn) is not null)
        {
            throw new ArgumentException(
                $"The input has a column '{ArgMaxPredictionTransformerFactory.ScorerScoreColumn}', which ML.NET's scorer would overwrite because ScoreColumnName is '{_options.ScoreColumnName}'; rename or drop it first.",
                "scoreColumnName");
        }

        return (image, label, (int)key.Count, geometry);
    }

    /// <summary>
    /// C, H, W of the images: the column's own shape where it carries one (ML.NET's ExtractPixels gives
    /// Vector&lt;Single, C, H, W&gt;), which set options must agree with; otherwise from the options and the column's size.
    /// </summary>
    private (int Channels, int Height, int Width) ResolveGeometry(DataViewSchema.Column image, VectorDataViewType vector)
    {
        var dimensions = vector.Dimensions;
        if (dimensions.Length != 3 || dimensions.Any(d => d <= 0))
        {
            return _options.ResolveGeometry(vector.Size);
        }

        var shape = (Channels: dimensions[0], Height: dimensions[1], Width: dimensions[2]);
        bool sidesSet = _options.ImageHeight > 0;
        bool channelsSet = _options.ImageChannels != DecoupleNetworkDefaults.ImageChannels;
        bool disagrees = sidesSet
            ? (_options.ImageChannels, _options.ImageHeight, _options.ImageWidth) != shape
            : channelsSet && _options.ImageChannels != shape.Channels;
        if (disagrees)
        {
            throw new ArgumentOutOfRangeException(sidesSet ? nameof(Options.ImageHeight) : nameof(Options.ImageChannels),
                $"Column '{image.Name}' holds {shape.Channels}×{shape.Height}×{shape.Width} images ({image.Type}); the options say "
                + $"{nameof(Options.ImageChannels)} {_options.ImageChannels}, {nameof(Options.ImageHeight)} {_options.ImageHeight}, {nameof(Options.ImageWidth)} {_options.ImageWidth}. "
                + $"Leave {nameof(Options.ImageHeight)} and {nameof(Options.ImageWidth)} at 0 to take the column's shape, or set them to it.");
        }

        return shape;
    }

    /// <summary>
    /// The seed recorded in the run's checkpoint (the decoupling stage's, else the dense pretraining's), or null when there
    /// is none. A file that is not a readable checkpoint gives null here and is refused, naming it, when training reads it.
    /// </summary>
    private static int? CheckpointSeed(string? checkpointPath)
    {
        foreach (string? path in new[] { checkpointPath, DensePretraining.CheckpointPathFor(checkpointPath) })
        {
            if (path is not null && File.Exists(path))
            {
                try
                {
                    return TrainingCheckpoint.ReadHeader(path).Header.Seed;
                }
                catch (InvalidDataException)
                {
                    return null;
                }
            }
        }

        return null;
    }

    private static SchemaShape.Column FindColumn(SchemaShape schema, string name, string parameter)
    {
        foreach (var column in schema)
        {
            if (column.Name == name)
            {
                return column;
            }
        }

        throw new ArgumentOutOfRangeException(parameter, $"Column '{name}' was not found in the input schema.");
    }
}
