using System.CommandLine;
using Decoupling.Examples.Shared.CommandLine;

namespace Quickstart;

/// <summary>The Quickstart's options, their checks and help (System.CommandLine, in the examples' shared style).</summary>
internal sealed class QuickstartCommandLine
{
    private readonly Option<string?> _dataset = CommonOptions.Dataset(null, "Data set; default: Fashion-MNIST where it is installed, else the generated shapes.", "fashion-mnist", "shapes");
    private readonly Option<int?> _epochs = CommonOptions.Epochs($"Decoupling epochs, after the dense pretraining; default: {QuickstartDefaults.FashionMnistEpochs} on Fashion-MNIST, the ForAccurateDynamicPaths recipe's {QuickstartDefaults.ShapesEpochs} on shapes.");
    private readonly Option<int?> _trainLimit = CommonOptions.TrainLimit($"Training images (shapes: how many to generate, {QuickstartDefaults.ShapesTrainImages} by default; Fashion-MNIST: the first N, {QuickstartDefaults.FashionMnistTrainImages} by default).");
    private readonly Option<string> _output = CommonOptions.OutputFolder("quickstart-output", "Folder for model.zip, network.onnx, metrics.json and paths.csv.");
    private readonly Option<double> _epsilon = TypedOptions.Number("--epsilon", "L∞ budget of the adversarial attack, in (0, 1].", 0.1, minimum: 0, maximum: 1, minimumExcluded: true);
    private readonly Option<int> _seed = CommonOptions.Seed();
    private readonly Option<double?> _lambdaM = CommonOptions.MutualInformationWeight();
    private readonly Option<double?> _lambdaS = CommonOptions.SparsityWeight();
    private readonly Option<double?> _targetRatio = CommonOptions.TargetRatio();
    private readonly Option<int?> _pretrainEpochs = CommonOptions.PretrainEpochs($"Epochs of dense pretraining before decoupling; default: {QuickstartDefaults.FashionMnistDensePretrainingEpochs} on Fashion-MNIST, the recipe's {QuickstartDefaults.ShapesDensePretrainingEpochs} on shapes.");
    private readonly Option<string> _architecture = TypedOptions.Text("--architecture", "Network: vgg, vgg:<layout>, vgg11/13/16/19, resnet<6n+2>, resnet18 or googlenet.", "vgg", "A");

    public QuickstartCommandLine()
    {
        Command = new RootCommand("Trains a decoupled CNN in an ML.NET pipeline, reads its calculation paths, detects FGSM samples from them and saves the model, the ONNX network, metrics and paths.")
        {
            _dataset, _epochs, _trainLimit, _output, _epsilon, _seed, _lambdaM, _lambdaS, _targetRatio, _pretrainEpochs, _architecture,
        };
        Command.HelpName = "dotnet run -c Release --project examples/Quickstart --";
    }

    public RootCommand Command { get; }

    public QuickstartArguments Read(ParseResult parsed) => new(
        parsed.GetValue(_dataset),
        parsed.GetValue(_epochs),
        parsed.GetValue(_trainLimit),
        parsed.GetRequiredValue(_output),
        parsed.GetValue(_epsilon),
        parsed.GetValue(_seed),
        parsed.GetValue(_lambdaM),
        parsed.GetValue(_lambdaS),
        parsed.GetValue(_targetRatio),
        parsed.GetRequiredValue(_architecture),
        parsed.GetValue(_pretrainEpochs));
}
