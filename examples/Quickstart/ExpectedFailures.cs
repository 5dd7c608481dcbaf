using Microsoft.ML.Decoupling.Pretrained;
using Microsoft.ML.Decoupling.Training;

namespace Quickstart;

/// <summary>
/// Turns the failures a user can cause or meet (bad arguments, unwritable output, missing or corrupt data, a diverged
/// training, native libraries that do not load) into one line on standard error and a non-zero exit code, instead of a
/// stack trace: 2 for arguments and options, 1 for everything else. Other exceptions are bugs and keep their stack trace.
/// </summary>
internal static class ExpectedFailures
{
    public const int BadArguments = Decoupling.Examples.Shared.CommandLine.CommandLineProgram.BadArguments;
    public const int Failed = 1;

    /// <summary>Makes every expected failure that reaches the top of the program end it with one line and its exit code.</summary>
    public static void ExitOnUnhandled() =>
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (e.ExceptionObject is Exception ex && ExitCode(ex) is int code)
            {
                Console.Error.WriteLine($"error: {FirstLine(ex)}");
                Environment.Exit(code);
            }
        };

    /// <summary>The exit code of an expected failure; null for an exception that is a bug.</summary>
    public static int? ExitCode(Exception ex) => ex switch
    {
        ArgumentException => BadArguments,
        IOException or UnauthorizedAccessException => Failed, // unwritable output, missing data files
        InvalidDataException => Failed, // corrupt data or weights files
        PretrainedWeightsMismatchException or TrainingDivergedException => Failed,
        TypeInitializationException or DllNotFoundException => Failed, // native libraries (libtorch, ONNX Runtime)
        InvalidOperationException => Failed, // data rejected by the estimator (pixels out of range, no rows)
        OperationCanceledException => Failed,
        _ => null,
    };

    // libtorch and ML.NET messages can carry a native stack trace or inner details after the first line.
    private static string FirstLine(Exception ex) => ex.Message.Split('\n', 2)[0].TrimEnd();
}
