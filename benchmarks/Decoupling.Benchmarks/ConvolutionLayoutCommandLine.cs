using System.CommandLine;
using Decoupling.Examples.Shared.CommandLine;

namespace Decoupling.Benchmarks;

/// <summary>The options of the convolution layout probe, the <c>--convolution-layouts</c> subcommand.</summary>
internal sealed class ConvolutionLayoutCommandLine
{
    private static readonly ConvolutionLayoutArguments _defaults = new();
    private readonly Option<IReadOnlyList<string>?> _layouts = TypedOptions.TextList("--layouts", "Layouts, run in this order in one process.", _defaults.Layouts, ["nchw", "channels-last"]);
    private readonly Option<int> _randomShapes = TypedOptions.Integer("--random-shapes", "Random conv shapes besides the self-check's cases.", _defaults.RandomShapes, minimum: 0);
    private readonly Option<int> _rounds = TypedOptions.Integer("--rounds", "Runs of every shape in each layout.", _defaults.Rounds, minimum: 1);
    private readonly Option<int> _seed = CommonOptions.Seed(_defaults.Seed);

    public ConvolutionLayoutCommandLine()
    {
        Command = new Command(
            "--convolution-layouts",
            "Whether libtorch's float32 CPU convolutions match a float64 reference in NCHW and in channels-last layout (training and inference), "
            + "under this process's oneDNN settings (benchmarks/convolution-layouts.sh runs it per instruction-set limit).")
        {
            _layouts, _randomShapes, _rounds, _seed,
        };
    }

    public Command Command { get; }

    public ConvolutionLayoutArguments Read(ParseResult parsed) => new()
    {
        Layouts = parsed.GetValue(_layouts) ?? _defaults.Layouts,
        RandomShapes = parsed.GetValue(_randomShapes),
        Rounds = parsed.GetValue(_rounds),
        Seed = parsed.GetValue(_seed),
    };
}
