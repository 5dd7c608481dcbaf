namespace Interpretation;

/// <summary>Command-line arguments of the Interpretation example (read by <see cref="InterpretationCommandLine"/>).</summary>
internal sealed record InterpretationArguments(string Dataset, int? Epochs, int? TrainLimit, int? TestLimit, string Output, int Seed, bool Ablation = false, string? Checkpoint = null);
