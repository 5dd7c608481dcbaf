namespace Microsoft.ML.Decoupling.Data;

/// <summary>The two CIFAR binary record layouts.</summary>
internal enum CifarVariant
{
    /// <summary>CIFAR-10: 1 label byte (0 to 9), then 3072 pixel bytes; 3073 bytes per record.</summary>
    Cifar10,

    /// <summary>CIFAR-100: 1 coarse label byte (0 to 19), 1 fine label byte (0 to 99), then 3072 pixel bytes; 3074 bytes per record.</summary>
    Cifar100,
}
