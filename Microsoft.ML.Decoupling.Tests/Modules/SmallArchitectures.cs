namespace Microsoft.ML.Decoupling.Tests;

/// <summary>One small network of each architecture family (name, input channels, input size), for tests that must hold for all of them.</summary>
internal static class SmallArchitectures
{
    public static IEnumerable<object[]> All =>
    [
        ["vgg:8,16,M,16,32", 1, 16],
        ["resnet20", 3, 16],
        ["resnet18", 3, 32],
        ["googlenet", 3, 8],
    ];
}
