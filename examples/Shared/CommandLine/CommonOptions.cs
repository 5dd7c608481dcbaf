using System.CommandLine;

namespace Decoupling.Examples.Shared.CommandLine;

/// <summary>The options that several programs take, under one name and with one check each.</summary>
public static class CommonOptions
{
    /// <summary><c>--seed N</c>: a non-negative integer that seeds data, weights and sampling.</summary>
    public static Option<int> Seed(int defaultValue = 1) =>
        TypedOptions.Integer("--seed", "Seed of the data, the weights and every random draw.", defaultValue, minimum: 0);

    /// <summary><c>--output DIR</c>: the folder the results are written to.</summary>
    public static Option<string> OutputFolder(string defaultValue, string description = "Folder the results are written to.") =>
        TypedOptions.Text("--output", description, defaultValue, "DIR");

    /// <summary><c>--output FILE</c>: a markdown file for the report (printed in any case); none by default.</summary>
    public static Option<string?> OutputFile() =>
        TypedOptions.OptionalText("--output", "Markdown file to write the report to (it is printed in any case).", "FILE");

    /// <summary><c>--dataset NAME</c>: one of <paramref name="names"/>; <paramref name="defaultValue"/> null lets the program choose.</summary>
    public static Option<string?> Dataset(string? defaultValue, string description, params string[] names) =>
        TypedOptions.Choice("--dataset", description, defaultValue, names);

    /// <summary><c>--epochs N</c>: positive; null lets the program choose.</summary>
    public static Option<int?> Epochs(string description) => TypedOptions.OptionalInteger("--epochs", description, minimum: 1);

    /// <summary><c>--train-limit N</c>: positive; null lets the program choose.</summary>
    public static Option<int?> TrainLimit(string description) => TypedOptions.OptionalInteger("--train-limit", description, minimum: 1);

    /// <summary><c>--lambda-m X</c>: the weight of the mutual-information loss, λm (non-negative).</summary>
    public static Option<double?> MutualInformationWeight(string description = "λm, the weight of the mutual-information loss; default: the recipe's.") =>
        TypedOptions.OptionalNumber("--lambda-m", description, minimum: 0);

    /// <summary><c>--lambda-s X</c>: the weight of the sparsity loss, λs (non-negative).</summary>
    public static Option<double?> SparsityWeight() =>
        TypedOptions.OptionalNumber("--lambda-s", "λs, the weight of the sparsity loss; default: the recipe's.", minimum: 0);

    /// <summary><c>--target-ratio R</c>: the target share of open gates, R in [0, 1].</summary>
    public static Option<double?> TargetRatio() =>
        TypedOptions.OptionalNumber("--target-ratio", "R, the target share of open gates in [0, 1]; default: the recipe's.", minimum: 0, maximum: 1);

    /// <summary><c>--pretrain-epochs N</c>: epochs of dense pretraining before decoupling (non-negative).</summary>
    public static Option<int?> PretrainEpochs(string description) =>
        TypedOptions.OptionalInteger("--pretrain-epochs", description, minimum: 0);
}
