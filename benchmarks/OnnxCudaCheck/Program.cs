using System.Diagnostics;
using System.Globalization;
using Decoupling.Examples.Shared;
using Decoupling.Examples.Shared.CommandLine;
using Decoupling.Examples.Shared.Statistics;
using Decoupling.Examples.Shared.Tables;
using Microsoft.ML.OnnxRuntime;
using OnnxCudaCheck;
using static System.FormattableString;

// ONNX Runtime CUDA check (issue 8): CPU/CUDA parity of a compact graph and its dense twin, then dense against compact
// on CUDA at several batch sizes (OnnxCudaCheck --help lists the options). Exit codes: 0 parity holds, 1 parity fails,
// 2 bad arguments, 3 the CUDA provider cannot be loaded.
var commandLine = new CudaCheckCommandLine();
if (!CommandLineProgram.TryRead(commandLine.Command, args, commandLine.Read, out var arguments, out int exitCode))
{
    return exitCode;
}

var (batches, runs, warmup, device, tolerance) = (arguments.Batches, arguments.Runs, arguments.Warmup, arguments.Device, arguments.Tolerance);
var models = new[] { (Name: "compact", Path: arguments.Compact), (Name: "dense", Path: arguments.Dense) };
Console.WriteLine($"ONNX Runtime providers available: {string.Join(", ", OrtEnv.Instance().GetAvailableProviders())}");
var sessions = new List<(string Name, InferenceSession Cpu, InferenceSession Cuda)>();
try
{
    foreach (var (name, path) in models)
    {
        var cpu = new InferenceSession(path);
        InferenceSession cuda;
        try
        {
            using var cudaOptions = new SessionOptions();
            using var provider = new OrtCUDAProviderOptions();
            // TF32 off: the parity check compares float32 results.
            provider.UpdateOptions(new Dictionary<string, string> { ["device_id"] = device.ToString(CultureInfo.InvariantCulture), ["use_tf32"] = "0" });
            cudaOptions.AppendExecutionProvider_CUDA(provider);
            cuda = new InferenceSession(path, cudaOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            cpu.Dispose();
            Console.Error.WriteLine($"The CUDA execution provider could not be loaded for {path}: {ex.Message}");
            Console.Error.WriteLine("It needs an NVIDIA driver, CUDA 13 (libcublasLt.so.13, libcudart) and cuDNN 9 on the library path (LD_LIBRARY_PATH).");
            return 3;
        }

        sessions.Add((name, cpu, cuda));
    }

    string inputName = sessions[0].Cpu.InputMetadata.Keys.First();
    long imageSize = sessions[0].Cpu.InputMetadata[inputName].Dimensions[1];
    foreach (var s in sessions.Where(s => s.Cpu.InputMetadata[inputName].Dimensions[1] != imageSize))
    {
        Console.Error.WriteLine($"{s.Name}: input '{inputName}' has {s.Cpu.InputMetadata[inputName].Dimensions[1]} values per image; the compact graph has {imageSize}.");
        return 2;
    }

    // Parity: every output of each graph, CPU against CUDA, on seeded random images.
    bool parity = true;
    int parityBatch = Math.Min(32, batches.Max());
    float[] pixels = RandomPixels.Uniform((int)(batches.Max() * imageSize), seed: 1);
    foreach (var (name, cpu, cuda) in sessions)
    {
        var onCpu = Run(cpu, inputName, pixels, parityBatch, imageSize);
        var onCuda = Run(cuda, inputName, pixels, parityBatch, imageSize);
        foreach (var (output, values) in onCpu)
        {
            float[] other = onCuda[output];
            double max = values.Zip(other, (a, b) => Math.Abs(a - b)).DefaultIfEmpty(0).Max();
            bool ok = max <= tolerance;
            parity &= ok;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"parity {name}/{output} (batch {parityBatch}): max |CPU − CUDA| = {max:E2} {(ok ? "ok" : $"ABOVE {tolerance:E0}")}"));
        }
    }

    // Timing on CUDA, dense and compact interleaved; each call copies the batch to the device and the outputs back.
    Console.WriteLine();
    var table = new MarkdownTable("batch", "dense ms / batch (median, p10–p90)", "compact ms / batch (median, p10–p90)", "speed-up");
    Console.WriteLine(table.Header);
    foreach (int batch in batches)
    {
        var times = sessions.ToDictionary(s => s.Name, _ => new List<double>());
        foreach (var s in sessions)
        {
            for (int i = 0; i < warmup; i++)
            {
                Run(s.Cuda, inputName, pixels, batch, imageSize);
            }
        }

        for (int r = 0; r < runs; r++)
        {
            foreach (var s in r % 2 == 0 ? sessions : Enumerable.Reverse(sessions))
            {
                long start = Stopwatch.GetTimestamp();
                Run(s.Cuda, inputName, pixels, batch, imageSize);
                times[s.Name].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        var dense = TimingSummary.Of(times["dense"]);
        var compact = TimingSummary.Of(times["compact"]);
        Console.WriteLine(table.Add(
            Invariant($"{batch}"), Invariant($"{dense.Median:F3} ({dense.P10:F3}–{dense.P90:F3})"), Invariant($"{compact.Median:F3} ({compact.P10:F3}–{compact.P90:F3})"), Invariant($"{dense.Median / compact.Median:F2}×")));
    }

    return parity ? 0 : 1;
}
finally
{
    foreach (var s in sessions)
    {
        s.Cpu.Dispose();
        s.Cuda.Dispose();
    }
}

static Dictionary<string, float[]> Run(InferenceSession session, string inputName, float[] pixels, int batch, long imageSize)
{
    using var input = OrtValue.CreateTensorValueFromMemory(pixels.AsSpan(0, (int)(batch * imageSize)).ToArray(), [batch, imageSize]);
    using var runOptions = new RunOptions();
    var names = session.OutputMetadata.Keys.ToArray();
    using var outputs = session.Run(runOptions, [inputName], [input], names);
    return names.Select((n, i) => (n, outputs[i].GetTensorDataAsSpan<float>().ToArray())).ToDictionary(p => p.n, p => p.Item2);
}
