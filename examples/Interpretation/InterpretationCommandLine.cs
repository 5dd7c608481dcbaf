using System.CommandLine;
using Decoupling.Examples.Shared.CommandLine;
using Microsoft.ML.Decoupling.Transforms;

namespace Interpretation;

/// <summary>The Interpretation example's options, their checks and help.</summary>
internal sealed class InterpretationCommandLine
{
    private readonly Option<string?> _dataset = CommonOptions.Dataset("shapes", "Data set (concepts and occlusion need shapes).", "shapes", "fashion-mnist");
    private readonly Option<int?> _epochs = CommonOptions.Epochs($"Decoupling epochs, after the dense pretraining; default: the ForAccurateDynamicPaths recipe's {DecoupleNetworkEstimator.Options.ForAccurateDynamicPaths().Epochs} (--ablation: {DecoupleNetworkEstimator.Options.ForDynamicPaths().Epochs}, from scratch).");
    private readonly Option<int?> _trainLimit = CommonOptions.TrainLimit("Training images (shapes: how many to generate, 4000 by default; Fashion-MNIST: the first N).");
    private readonly Option<int?> _testLimit = TypedOptions.OptionalInteger("--test-limit", "Test images the report analyses (shapes: 1000 by default; Fashion-MNIST: all).", minimum: 1);
    private readonly Option<string> _output = CommonOptions.OutputFolder("interpretation-report", "Folder the report is written to.");
    private readonly Option<int> _seed = CommonOptions.Seed();
    private readonly Option<string?> _checkpoint = TypedOptions.OptionalText("--checkpoint", "Training checkpoint (rewritten every epoch, the dense stage's beside it as FILE.dense): an interrupted run resumes, a finished one is loaded instead of trained again.", "FILE");
    private readonly Option<bool> _ablation = TypedOptions.Flag("--ablation", "Train two models, λm 0.5 and 0, compare filter states, k-NN separability and Hopkins, then time each analysis.");

    public InterpretationCommandLine()
    {
        Command = new RootCommand("Trains a decoupled network and writes the interpretation report: filter activity, path separability, t-SNE of the paths, the decision tree of paths and, on shapes, concepts and occlusion.")
        {
            _dataset, _epochs, _trainLimit, _testLimit, _output, _seed, _ablation, _checkpoint,
        };
        Command.HelpName = "dotnet run -c Release --project examples/Interpretation --";
    }

    public RootCommand Command { get; }

    /// <summary>The arguments, after the rules between options (an <see cref="ArgumentException"/> names the broken one).</summary>
    public InterpretationArguments Read(ParseResult parsed)
    {
        var result = new InterpretationArguments(
            parsed.GetValue(_dataset)!, // never null: the option has a default
            parsed.GetValue(_epochs),
            parsed.GetValue(_trainLimit),
            parsed.GetValue(_testLimit),
            parsed.GetRequiredValue(_output),
            parsed.GetValue(_seed),
            parsed.GetValue(_ablation),
            parsed.GetValue(_checkpoint));
        if (result.Checkpoint is { } checkpoint)
        {
            if (result.Ablation)
            {
                throw new ArgumentException("--checkpoint holds one network; --ablation trains two.");
            }

            if (Path.GetDirectoryName(Path.GetFullPath(checkpoint)) is { } folder && !Directory.Exists(folder))
            {
                throw new ArgumentException($"--checkpoint: no folder '{folder}' for '{checkpoint}'.");
            }
        }

        return result;
    }
}
