namespace Microsoft.ML.Decoupling.Data;

/// <summary>The training or the test part of a data set, for <see cref="FashionMnist.Load(DataSplit, string?, int?)"/> and <see cref="CifarBinaryReader"/>.</summary>
public enum DataSplit
{
    /// <summary>The training images: Fashion-MNIST's 60 000 (<c>train-*</c> files), CIFAR's 50 000 (<c>data_batch_1.bin</c> to <c>data_batch_5.bin</c>, or <c>train.bin</c>).</summary>
    Train,

    /// <summary>The test images: Fashion-MNIST's 10 000 (<c>t10k-*</c> files), CIFAR's 10 000 (<c>test_batch.bin</c>, or <c>test.bin</c>).</summary>
    Test,
}
