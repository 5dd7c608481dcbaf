using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.Decoupling.Data;
using Microsoft.ML.Decoupling.Inference;
using Microsoft.ML.Decoupling.Modules;
using Microsoft.ML.Decoupling.Transforms;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Disposed objects say so, a failed save loses nothing, and temporary model files do not outlive their process.</summary>
[TestClass]
public sealed class LifetimeTests
{
    [TestMethod]
    public void Save_OfADisposedModel_FailsBeforeTouchingTheExistingFile()
    {
        var train = ShapesGenerator.Generate(count: 64, seed: 81, imageSize: 16).Images;
        var ml = new MLContext(seed: 1);
        var view = train.ToDataView(ml);
        var options = new DecoupleNetworkEstimator.Options { Architecture = NetworkArchitecture.Vgg("8,16,M,16,16"), Epochs = 1, BatchSize = 32, Seed = 5 };
        string folder = Path.Combine(Path.GetTempPath(), $"lifetime-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string file = Path.Combine(folder, "model.zip");
            var model = ml.Transforms.DecoupleNetwork(options).Fit(view);
            using (var compact = model.Compact(view))
            {
                model.Save(ml, view.Schema, file);
                byte[] good = File.ReadAllBytes(file);
                var loaded = ml.Model.Load(file, out _);
                Assert.AreEqual(model.Columns.Path, loaded.GetOutputSchema(view.Schema)[model.Columns.Path].Name, "the atomic save writes a standard ML.NET model");
                (loaded as IDisposable)?.Dispose();
                compact.Dispose();
                Assert.ThrowsExactly<ObjectDisposedException>(() => compact.SaveOnnx(Path.Combine(folder, "compact.onnx")));
                Assert.ThrowsExactly<ObjectDisposedException>(() => compact.Reproduces(new float[model.PathLayout.PathLength]));

                model.Dispose();
                Assert.ThrowsExactly<ObjectDisposedException>(() => model.Save(ml, view.Schema, file));
                CollectionAssert.AreEqual(good, File.ReadAllBytes(file), "the good model.zip survives");
                CollectionAssert.AreEquivalent(new[] { file }, Directory.GetFiles(folder), "no temporary file left");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    [Timeout(300_000)]
    public async Task Dispose_WhileAnotherThreadReads_WaitsForTheRead_ThenEveryReadThrowsObjectDisposed()
    {
        var ml = new MLContext(seed: 1);
        var view = ShapesGenerator.Generate(count: 32, seed: 82, imageSize: 16).Images.ToDataView(ml);
        var options = new DecoupleNetworkEstimator.Options { Architecture = NetworkArchitecture.Vgg("4,8,4"), Epochs = 1, BatchSize = 32, Seed = 5 };
        var model = ml.Transforms.DecoupleNetwork(options).Fit(view);
        var transformed = model.Transform(view);
        var path = transformed.Schema[model.Columns.Path];
        using var opened = transformed.GetRowCursor([path]);
        var openedGetter = opened.GetGetter<VBuffer<float>>(path);
        VBuffer<float> value = default;
        Assert.IsTrue(opened.MoveNext());
        openedGetter(ref value);

        using var reading = new ManualResetEventSlim();
        var reader = Task.Run(() =>
        {
            VBuffer<float> row = default;
            while (true)
            {
                using var cursor = transformed.GetRowCursor([path]);
                var getter = cursor.GetGetter<VBuffer<float>>(path);
                while (cursor.MoveNext())
                {
                    getter(ref row);
                    reading.Set();
                }
            }
        });
        reading.Wait();
        model.Dispose();

        await Assert.ThrowsExactlyAsync<ObjectDisposedException>(() => reader, "the other thread's next read says the model is disposed");
        var error = Assert.ThrowsExactly<ObjectDisposedException>(() => opened.MoveNext(), "a cursor opened before Dispose");
        StringAssert.Contains(error.Message, nameof(DecoupledNetworkTransformer));
        Assert.ThrowsExactly<ObjectDisposedException>(() => openedGetter(ref value), "a getter made before Dispose");
        Assert.ThrowsExactly<ObjectDisposedException>(() => transformed.GetRowCursor([path]), "a view transformed before Dispose");
    }

    [TestMethod]
    public void SkippingInference_AfterDispose_ThrowsObjectDisposed()
    {
        using var network = NetworkArchitecture.Parse("vgg:8,16,M,16,32").Build(new ImageShape(1, 16, 16), 4, seed: 3);
        var skipping = new SkippingInference(network);
        skipping.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => skipping.Run(new float[256], 1));
    }

    [TestMethod]
    [DoNotParallelize]
    public void TemporaryModelFiles_OfDeadProcesses_AreSwept()
    {
        Directory.CreateDirectory(OwnedModelFile.Folder);
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        exited.WaitForExit();
        string stale = Path.Combine(OwnedModelFile.Folder, $"network-{exited.Id}-{Guid.NewGuid():N}.onnx");
        string mine = Path.Combine(OwnedModelFile.Folder, $"network-{Environment.ProcessId}-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(stale, [1]);
        File.WriteAllBytes(mine, [1]);
        try
        {
            OwnedModelFile.SweepStaleFiles();
            Assert.IsFalse(File.Exists(stale), "a file of a process that has exited is deleted");
            Assert.IsTrue(File.Exists(mine), "a file of a running process is kept");
        }
        finally
        {
            File.Delete(stale);
            File.Delete(mine);
        }
    }
}
