namespace Microsoft.ML.Decoupling.Modules;

/// <summary>
/// Runs a <see cref="NetworkProgram"/> step by step over the feature maps of one interpreter: map 0 is the input, each
/// step's result is stored as its output map, and the steps read earlier maps through the indexer.
/// </summary>
/// <typeparam name="TMap">What the interpreter holds for each feature map.</typeparam>
internal abstract class StepInterpreter<TMap> : INetworkStepVisitor<TMap>
{
    private readonly TMap[] _maps;

    /// <summary>Starts an interpreter of <paramref name="program"/>.</summary>
    protected StepInterpreter(NetworkProgram program)
    {
        Program = program;
        _maps = new TMap[program.Maps.Count];
    }

    /// <summary>The program interpreted.</summary>
    protected NetworkProgram Program { get; }

    /// <summary>The feature map <paramref name="map"/> computed so far.</summary>
    protected TMap this[int map] => _maps[map];

    /// <summary>Every feature map computed so far (all of them after <see cref="Run"/>).</summary>
    protected IReadOnlyList<TMap> Computed => _maps;

    /// <summary>Interprets every step from <paramref name="input"/> (map 0); returns the map the head reads.</summary>
    public TMap Run(TMap input)
    {
        _maps[NetworkProgram.Image] = input;
        foreach (var step in Program.Steps)
        {
            _maps[step.Output] = step.Accept(this);
        }

        return _maps[Program.Output];
    }

    public abstract TMap Convolution(ConvolutionStep step);

    public abstract TMap MaxPool(MaxPoolStep step);

    public abstract TMap ResidualAdd(ResidualAddStep step);

    public abstract TMap ZeroPadShortcut(ZeroPadShortcutStep step);

    public abstract TMap Concat(ConcatStep step);
}
