using TorchSharp;
Microsoft.ML.Decoupling.Native.TorchNativeLoader.EnsureTorch();
var x = torch.randn(3, 4);
var lin = torch.nn.Linear(4, 2);
var y = lin.forward(x).sum();
y.backward();
Console.WriteLine($"ok {y.item<float>()}");
