using System.Globalization;

namespace Quickstart;

/// <summary>Command-line arguments of the Quickstart.</summary>
internal sealed record QuickstartArguments(string? Dataset, int? Epochs, int? TrainLimit, string Output, double Epsilon, int Seed, double? MutualInformationWeight, double? SparsityWeight, double? TargetRatio, string Architecture, int? PretrainEpochs = null)
{
    public const string Usage =
        "usage: dotnet run -c Release --project examples/Quickstart -- [--dataset fashion-mnist|shapes] [--epochs N] " +
        "[--train-limit N] [--output DIR] [--epsilon E] [--seed N] [--lambda-m X] [--lambda-s X] [--target-ratio R] [--pretrain-epochs N] [--architecture vgg|vgg:<list>|resnet20|resnet18|googlenet]";

    public static QuickstartArguments Parse(string[] args)
    {
        string? dataset = null;
        int? epochs = null, trainLimit = null;
        string output = "quickstart-output";
        double epsilon = 0.1;
        int seed = 1;
        double? lambdaM = null, lambdaS = null, targetRatio = null;
        int? pretrainEpochs = null;
        string architecture = "vgg";
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value. {Usage}");
            switch (name)
            {
                case "--dataset":
                    dataset = Value();
                    if (dataset is not ("fashion-mnist" or "shapes"))
                    {
                        throw new ArgumentException($"--dataset must be 'fashion-mnist' or 'shapes', got '{dataset}'.");
                    }

                    break;
                case "--epochs": epochs = PositiveInt(name, Value()); break;
                case "--train-limit": trainLimit = PositiveInt(name, Value()); break;
                case "--pretrain-epochs": pretrainEpochs = NonNegativeInt(name, Value()); break;
                case "--output": output = Value(); break;
                case "--architecture": architecture = Value(); break;
                case "--seed": seed = NonNegativeInt(name, Value()); break;
                case "--lambda-m": lambdaM = NonNegative(name, Value()); break;
                case "--lambda-s": lambdaS = NonNegative(name, Value()); break;
                case "--target-ratio":
                    targetRatio = NonNegative(name, Value());
                    if (targetRatio > 1)
                    {
                        throw new ArgumentException($"--target-ratio must be in [0, 1], got {targetRatio}.");
                    }

                    break;
                case "--epsilon":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out epsilon) || epsilon <= 0 || epsilon > 1)
                    {
                        throw new ArgumentException("--epsilon must be a number in (0, 1].");
                    }

                    break;
                case "--help" or "-h":
                    throw new ArgumentException(Usage);
                default:
                    throw new ArgumentException($"Unknown argument '{name}'. {Usage}");
            }
        }

        return new QuickstartArguments(dataset, epochs, trainLimit, output, epsilon, seed, lambdaM, lambdaS, targetRatio, architecture, pretrainEpochs);
    }

    private static double NonNegative(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && parsed >= 0
            ? parsed
            : throw new ArgumentException($"{name} must be a non-negative number, got '{value}'.");

    private static int NonNegativeInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
            ? parsed
            : throw new ArgumentException($"{name} must be a non-negative integer, got '{value}'.");

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed > 0
            ? parsed
            : throw new ArgumentException($"{name} must be a positive integer, got '{value}'.");
}
