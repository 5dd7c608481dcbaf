using System.CommandLine;
using System.CommandLine.Help;
using System.Diagnostics.CodeAnalysis;

namespace Decoupling.Examples.Shared.CommandLine;

/// <summary>
/// The one way the examples and benchmarks read their command line: <c>--help</c> prints usage and exits 0; an unknown
/// option, a malformed or out-of-range value or a rule between options prints one line <c>error: …</c> on standard
/// error and exits <see cref="BadArguments"/>; otherwise the program runs with the parsed values.
/// </summary>
public static class CommandLineProgram
{
    /// <summary>The exit code of bad arguments.</summary>
    public const int BadArguments = 2;

    /// <summary>Parses <paramref name="args"/> against <paramref name="command"/> and, when they are valid, runs <paramref name="run"/> or the action of the subcommand they choose.</summary>
    /// <param name="command">The program's options and subcommands (each subcommand with its action).</param>
    /// <param name="args">The arguments as the program received them.</param>
    /// <param name="run">What the program does with valid arguments; returns the exit code.</param>
    /// <param name="output">Where help goes (standard output by default).</param>
    /// <param name="error">Where the error line goes (standard error by default).</param>
    public static int Run(RootCommand command, IReadOnlyList<string> args, Func<ParseResult, int> run, TextWriter? output = null, TextWriter? error = null)
    {
        command.SetAction(run);
        var parsed = command.Parse(args);
        var configuration = new InvocationConfiguration { Output = output ?? Console.Out, Error = error ?? Console.Error, EnableDefaultExceptionHandler = false };
        if (parsed.Action is HelpAction)
        {
            return parsed.Invoke(configuration);
        }

        if (parsed.Errors.Count > 0)
        {
            (error ?? Console.Error).WriteLine($"error: {OneLine(parsed.Errors[0].Message)}");
            return BadArguments;
        }

        // Exceptions of the program pass through unchanged (the programs turn their expected failures into one line).
        return parsed.Invoke(configuration);
    }

    /// <summary>
    /// Parses <paramref name="args"/> with <see cref="Run"/> and reads them with <paramref name="read"/>: true with the
    /// arguments when the program is to run; false after <c>--help</c>, bad arguments (an <see cref="ArgumentException"/> of
    /// <paramref name="read"/> among them) or a subcommand's action, with the
    /// exit code to return.
    /// </summary>
    public static bool TryRead<T>(RootCommand command, IReadOnlyList<string> args, Func<ParseResult, T> read, [NotNullWhen(true)] out T? arguments, out int exitCode, TextWriter? output = null, TextWriter? error = null)
        where T : class
    {
        T? value = null;
        exitCode = Run(command, args, parsed => ReadArguments(parsed, read, error, out value), output, error);
        arguments = value;
        return arguments is not null;
    }

    /// <summary>
    /// Makes <paramref name="command"/> (a subcommand) read its arguments with <paramref name="read"/> and run
    /// <paramref name="run"/>; an <see cref="ArgumentException"/> of <paramref name="read"/> ends it as bad arguments.
    /// </summary>
    public static void SetAction<T>(Command command, Func<ParseResult, T> read, Func<T, int> run)
        where T : class =>
        command.SetAction(parsed => ReadArguments(parsed, read, parsed.InvocationConfiguration.Error, out T? arguments) == 0 ? run(arguments!) : BadArguments);

    /// <summary>Prints <paramref name="message"/> as the one error line of bad arguments and returns <see cref="BadArguments"/>.</summary>
    public static int FailWithBadArguments(string message, TextWriter? error = null)
    {
        (error ?? Console.Error).WriteLine($"error: {OneLine(message)}");
        return BadArguments;
    }

    private static int ReadArguments<T>(ParseResult parsed, Func<ParseResult, T> read, TextWriter? error, out T? arguments)
        where T : class
    {
        try
        {
            arguments = read(parsed);
            return 0;
        }
        catch (ArgumentException ex)
        {
            // What the parser cannot check alone (an architecture's syntax, a file that must exist, a rule between options).
            arguments = null;
            return FailWithBadArguments(ex.Message, error);
        }
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
