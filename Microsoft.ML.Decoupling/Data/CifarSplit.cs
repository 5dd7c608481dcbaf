namespace Microsoft.ML.Decoupling.Data;

/// <summary>The two parts of CIFAR-10 and CIFAR-100.</summary>
public enum CifarSplit
{
    /// <summary>The 50 000 training images (<c>data_batch_1.bin</c> to <c>data_batch_5.bin</c>, or <c>train.bin</c>).</summary>
    Train,

    /// <summary>The 10 000 test images (<c>test_batch.bin</c>, or <c>test.bin</c>).</summary>
    Test,
}
