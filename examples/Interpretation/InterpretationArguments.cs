using System.Globalization;

namespace Interpretation;

/// <summary>Command-line arguments of the Interpretation example.</summary>
internal sealed record InterpretationArguments(string Dataset, int? Epochs, int? TrainLimit, int? TestLimit, string Output, int Seed, bool Ablation = false)
{
    public const string Usage =
        "Usage: Interpretation [--data shapes|fashion-mnist] [--epochs N] [--train-limit N] [--test-limit N] [--out FOLDER] [--seed N] [--ablation]\n"
        + "  --ablation: train two models, λm 0.5 and 0, compare filter states, k-NN separability and Hopkins, then time each analysis.";

    public static InterpretationArguments Parse(string[] args)
    {
        var result = new InterpretationArguments("shapes", null, null, null, "interpretation-report", 1);
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--ablation")
            {
                result = result with { Ablation = true };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value. {Usage}");
            }

            string value = args[++i];
            result = name switch
            {
                "--data" when value is "shapes" or "fashion-mnist" => result with { Dataset = value },
                "--data" => throw new ArgumentException($"--data must be 'shapes' or 'fashion-mnist', not '{value}'. {Usage}"),
                "--epochs" => result with { Epochs = Positive(name, value) },
                "--train-limit" => result with { TrainLimit = Positive(name, value) },
                "--test-limit" => result with { TestLimit = Positive(name, value) },
                "--out" => result with { Output = value },
                "--seed" => result with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option '{name}'. {Usage}"),
            };
        }

        return result;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number) && number > 0
            ? number
            : throw new ArgumentException($"{name} must be a positive integer, not '{value}'. {Usage}");
}
