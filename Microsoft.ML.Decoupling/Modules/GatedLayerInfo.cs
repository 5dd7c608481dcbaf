namespace Microsoft.ML.Decoupling.Modules;

/// <summary>One gated layer in the calculation path: which bits of the path belong to which filters.</summary>
/// <param name="Name">Layer name: the conv's state-dict key without <c>.weight</c> (<c>features.3</c>, <c>layer1.0.conv1</c>, <c>a3.b2.3</c> …), also its prefix in the ONNX graph.</param>
/// <param name="Filters">Number of filters, i.e. bits of this layer in the path.</param>
/// <param name="PathOffset">Offset of the layer's first bit in the path; bit <c>PathOffset + f</c> is filter f.</param>
/// <param name="DenseFlops">Multiply-accumulates of the layer for one image with every filter and input active.</param>
/// <param name="GateFlops">Multiply-accumulates of the layer's architecture controlling module for one image.</param>
public sealed record GatedLayerInfo(string Name, int Filters, int PathOffset, long DenseFlops, long GateFlops);
