using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Pretrained;

namespace Microsoft.ML.Decoupling.Training;

/// <summary>
/// The first stage of the paper's recipe (§3.4: decoupling starts from a pretrained network): the same architecture
/// without gates, trained on the same data with the same settings for a number of epochs, whose weights then initialise
/// the gated network (the gates keep their own initialisation). Running it inside one <c>Fit</c> gives exactly what a
/// dense <c>Fit</c> followed by <see cref="PretrainedWeights.FromNetwork"/> gives (a test checks it bit for bit).
/// </summary>
internal static class DensePretraining
{
    /// <summary>The checkpoint file of the dense stage beside the run's checkpoint, or null without checkpoints.</summary>
    public static string? CheckpointPathFor(string? checkpointPath) => checkpointPath is null ? null : checkpointPath + ".dense";

    /// <summary>
    /// Trains the dense stage for <paramref name="epochs"/> epochs (resuming its own checkpoint) and copies its weights into
    /// <paramref name="gated"/>. <paramref name="initialWeights"/>, when given, initialise the dense stage.
    /// </summary>
    public static void Run(
        DecoupledNetwork gated, NetworkArchitecture architecture, int epochs, TrainingSettings decoupling, PretrainedWeights? initialWeights, TrainingImages images,
        Action<string> log, CancellationToken cancellation)
    {
        using var dense = architecture.Build(gated.Input, gated.Classes, gated: false, normalization: gated.Normalization, seed: decoupling.Seed);
        if (initialWeights is not null)
        {
            log(Describe(initialWeights, initialWeights.ApplyWithReport(dense)));
        }

        // The decoupling run's settings with its own epoch count and checkpoint; the gate losses do not act on a network
        // without gates, and a step limit is the decoupling stage's.
        var settings = decoupling with
        {
            Epochs = epochs,
            CheckpointPath = CheckpointPathFor(decoupling.CheckpointPath),
            MaximumSteps = null,
            Weights = decoupling.Weights with { SparsityWarmupEpochs = 0 },
            Start = StartOf(0, initialWeights),
        };
        log($"Dense pretraining: {epochs} epochs without gates{(settings.CheckpointPath is null ? string.Empty : $" (checkpoint '{settings.CheckpointPath}')")}.");
        new DecouplingTrainer(settings, report => log($"dense pretraining {report}"), log).Train(dense, images, cancellation);
        var loaded = PretrainedWeights.FromNetwork(dense).ApplyWithReport(gated);
        log($"Dense pretraining done: {loaded.LoadedCount} tensors copied into the gated network, {loaded.KeptInitialCount} (the gates and path classifiers) keep their initialisation.");
    }

    /// <summary>
    /// The <see cref="TrainingSettings.Start"/> of a run after <paramref name="denseEpochs"/> epochs of dense pretraining
    /// (0: none) from <paramref name="initialWeights"/> (null: the network's own initialisation).
    /// </summary>
    public static string StartOf(int denseEpochs, PretrainedWeights? initialWeights)
    {
        string weights = initialWeights is null ? TrainingSettings.OwnInitialization : $"initial weights {initialWeights}";
        return denseEpochs > 0 ? $"{denseEpochs} epochs of dense pretraining from {weights}" : weights;
    }

    /// <summary>One line on what initial weights loaded.</summary>
    public static string Describe(PretrainedWeights weights, PretrainedWeightsLoadReport loaded) =>
        $"Initial weights from {weights}: {loaded.LoadedCount} tensors loaded, {loaded.KeptInitialCount} kept their initialisation, {loaded.IgnoredSourceCount} source entries skipped, {loaded.UnmappedSourceKeys.Count} without a counterpart here{(loaded.UnmappedSourceKeys.Count > 0 ? $" ({string.Join(", ", loaded.UnmappedSourceKeys)})" : "")}.";
}
