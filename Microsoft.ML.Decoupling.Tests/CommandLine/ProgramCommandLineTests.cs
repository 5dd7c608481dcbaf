using System.CommandLine;
using AdversarialDetection;
using Decoupling.Benchmarks;
using Decoupling.Examples.Shared.CommandLine;
using Interpretation;
using OnnxCudaCheck;
using Quickstart;

namespace Microsoft.ML.Decoupling.Tests.CommandLine;

/// <summary>Every example and benchmark answers --help, and rejects an unknown option and a malformed number with one line and exit code 2.</summary>
[TestClass]
public sealed class ProgramCommandLineTests
{
    // An existing file for OnnxCudaCheck's two graph arguments: the check reads them only after parsing.
    private static readonly string _existingFile = typeof(ProgramCommandLineTests).Assembly.Location;

    public static IEnumerable<object[]> Programs =>
    [
        ["Quickstart", Array.Empty<string>()],
        ["Interpretation", Array.Empty<string>()],
        ["AdversarialDetection", Array.Empty<string>()],
        ["Benchmarks", Array.Empty<string>()],
        ["Benchmarks", new[] { "--inference" }],
        ["Benchmarks", new[] { "--larger-than-memory" }],
        ["Benchmarks", new[] { "--convolution-layouts" }],
        ["OnnxCudaCheck", new[] { _existingFile, _existingFile }],
    ];

    [TestMethod]
    [DynamicData(nameof(Programs))]
    public void Help_PrintsUsageAndExitsZero(string program, string[] prefix)
    {
        var (exitCode, output, error) = Parse(program, [.. prefix, "--help"]);

        Assert.AreEqual(0, exitCode);
        StringAssert.Contains(output, "Usage:");
        StringAssert.Contains(output, "--help");
        Assert.AreEqual(string.Empty, error);
    }

    [TestMethod]
    [DynamicData(nameof(Programs))]
    public void UnknownOption_OneErrorLineAndExitTwo(string program, string[] prefix)
    {
        var (exitCode, output, error) = Parse(program, [.. prefix, "--no-such-option"]);

        AssertOneErrorLine(exitCode, output, error, "'--no-such-option'");
    }

    [TestMethod]
    [DynamicData(nameof(Programs))]
    public void MalformedNumber_OneErrorLineAndExitTwo(string program, string[] prefix)
    {
        string option = program == "OnnxCudaCheck" ? "--runs" : "--seed";
        var (exitCode, output, error) = Parse(program, [.. prefix, option, "1.5x"]);

        AssertOneErrorLine(exitCode, output, error, $"{option} must be");
    }

    [TestMethod]
    [DataRow("Quickstart", "--epochs", "0")]
    [DataRow("Quickstart", "--target-ratio", "1.5")]
    [DataRow("Quickstart", "--dataset", "mnist")]
    [DataRow("AdversarialDetection", "--images-per-class", "1,x")]
    [DataRow("AdversarialDetection", "--attacks", "ifgsm,nope")]
    [DataRow("AdversarialDetection", "--train-pool-per-class", "20")]
    [DataRow("Interpretation", "--checkpoint", "/no/such/folder/network.checkpoint")]
    [DataRow("Benchmarks", "--architectures", "vgg,nope")]
    [DataRow("Benchmarks", "--settings", "0.05")]
    public void OutOfRangeValueOrBrokenRule_OneErrorLineAndExitTwo(string program, string option, string value)
    {
        var (exitCode, output, error) = Parse(program, [option, value]);

        AssertOneErrorLine(exitCode, output, error, option);
    }

    [TestMethod]
    public void InterpretationCheckpoint_WithAblation_IsRejected()
    {
        var (exitCode, output, error) = Parse("Interpretation", ["--checkpoint", "network.checkpoint", "--ablation"]);

        AssertOneErrorLine(exitCode, output, error, "--checkpoint holds one network");
    }

    [TestMethod]
    public void ValidArguments_AreReadWithTheirDefaults()
    {
        var commandLine = new QuickstartCommandLine();
        Assert.IsTrue(CommandLineProgram.TryRead(commandLine.Command, ["--dataset", "shapes", "--epochs", "2"], commandLine.Read, out var arguments, out _));
        Assert.AreEqual(new QuickstartArguments("shapes", 2, null, "quickstart-output", 0.1, 1, null, null, null, "vgg"), arguments);

        var detection = new DetectionCommandLine();
        Assert.IsTrue(CommandLineProgram.TryRead(detection.Command, ["--images-per-class", "2,4", "--pool-per-class", "150"], detection.Read, out var detectionArguments, out _));
        CollectionAssert.AreEqual(new[] { 2, 4 }, detectionArguments.ImagesPerClass.ToArray());
        Assert.AreEqual(new DetectionArguments().TestPerClass, detectionArguments.TestPerClass);
    }

    private static void AssertOneErrorLine(int exitCode, string output, string error, string expected)
    {
        Assert.AreEqual(CommandLineProgram.BadArguments, exitCode);
        Assert.AreEqual(string.Empty, output);
        string[] lines = error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, error);
        Assert.StartsWith("error: ", lines[0]);
        StringAssert.Contains(lines[0], expected);
    }

    private static (int ExitCode, string Output, string Error) Parse(string program, string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var (command, read) = CommandLineOf(program);
        int exitCode = CommandLineProgram.TryRead(command, args, read, out _, out int code, output, error) ? -1 : code;
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>The program's command and how it reads it (a benchmark subcommand would return -1 instead of running).</summary>
    private static (RootCommand Command, Func<ParseResult, object> Read) CommandLineOf(string program)
    {
        switch (program)
        {
            case "Quickstart":
                var quickstart = new QuickstartCommandLine();
                return (quickstart.Command, quickstart.Read);
            case "Interpretation":
                var interpretation = new InterpretationCommandLine();
                return (interpretation.Command, interpretation.Read);
            case "AdversarialDetection":
                var detection = new DetectionCommandLine();
                return (detection.Command, detection.Read);
            case "Benchmarks":
                var benchmarks = new BenchmarkCommandLine(_ => -1, _ => -1, _ => -1);
                return (benchmarks.Command, benchmarks.Read);
            case "OnnxCudaCheck":
                var cudaCheck = new CudaCheckCommandLine();
                return (cudaCheck.Command, cudaCheck.Read);
            default:
                throw new ArgumentOutOfRangeException(nameof(program), program, "Not a program.");
        }
    }
}
