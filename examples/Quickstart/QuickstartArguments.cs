namespace Quickstart;

/// <summary>Command-line arguments of the Quickstart (read by <see cref="QuickstartCommandLine"/>).</summary>
internal sealed record QuickstartArguments(string? Dataset, int? Epochs, int? TrainLimit, string Output, double Epsilon, int Seed, double? MutualInformationWeight, double? SparsityWeight, double? TargetRatio, string Architecture, int? PretrainEpochs = null);
