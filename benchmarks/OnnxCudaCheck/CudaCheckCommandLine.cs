using System.CommandLine;
using Decoupling.Examples.Shared.CommandLine;

namespace OnnxCudaCheck;

/// <summary>The CUDA check's arguments (the two graphs) and options, their checks and help.</summary>
internal sealed class CudaCheckCommandLine
{
    private static readonly CudaCheckArguments _defaults = new("", "");
    private readonly Argument<string> _compact = ExistingFile("compact", "The compact ONNX graph (benchmarks/Decoupling.Benchmarks --inference --save-onnx).");
    private readonly Argument<string> _dense = ExistingFile("dense", "Its dense twin.");
    private readonly Option<IReadOnlyList<int>?> _batches = TypedOptions.IntegerList("--batches", "Batch sizes timed on CUDA.", _defaults.Batches, minimum: 1);
    private readonly Option<int> _runs = TypedOptions.Integer("--runs", "Timed runs per graph and batch size.", _defaults.Runs, minimum: 1);
    private readonly Option<int> _warmup = TypedOptions.Integer("--warmup", "Warm-up runs per graph and batch size.", _defaults.Warmup, minimum: 0);
    private readonly Option<int> _device = TypedOptions.Integer("--device", "CUDA device id.", _defaults.Device, minimum: 0);
    private readonly Option<double> _tolerance = TypedOptions.Number("--tolerance", "Largest |CPU − CUDA| difference that passes the parity check.", _defaults.Tolerance, minimum: 0);

    public CudaCheckCommandLine()
    {
        Command = new RootCommand("ONNX Runtime CUDA check: CPU/CUDA parity of a compact graph and its dense twin, then dense against compact on CUDA at several batch sizes. Exit codes: 0 parity holds, 1 parity fails, 2 bad arguments, 3 the CUDA provider cannot be loaded.")
        {
            _compact, _dense, _batches, _runs, _warmup, _device, _tolerance,
        };
    }

    public RootCommand Command { get; }

    public CudaCheckArguments Read(ParseResult parsed) => new(parsed.GetRequiredValue(_compact), parsed.GetRequiredValue(_dense))
    {
        Batches = parsed.GetValue(_batches) ?? _defaults.Batches,
        Runs = parsed.GetValue(_runs),
        Warmup = parsed.GetValue(_warmup),
        Device = parsed.GetValue(_device),
        Tolerance = parsed.GetValue(_tolerance),
    };

    private static Argument<string> ExistingFile(string name, string description)
    {
        var argument = new Argument<string>(name) { Description = description, HelpName = $"{name}.onnx" };
        argument.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && !File.Exists(r.Tokens[0].Value))
            {
                r.AddError($"{name} graph '{r.Tokens[0].Value}' not found.");
            }
        });
        return argument;
    }
}
