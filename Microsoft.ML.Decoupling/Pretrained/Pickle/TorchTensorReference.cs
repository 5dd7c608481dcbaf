namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a strided window on a storage.</summary>
internal sealed record TorchTensorReference(TorchStorageReference Storage, long StorageOffset, long[] Shape, long[] Strides)
{
    /// <summary>Checks that the window lies inside the storage (or view); returns why not, or null.</summary>
    public string? WhyInvalid()
    {
        if (Shape.Length != Strides.Length)
        {
            return $"shape [{string.Join(", ", Shape)}] and strides [{string.Join(", ", Strides)}] differ in rank";
        }

        if (StorageOffset < 0 || Shape.Any(s => s < 0) || Strides.Any(s => s < 0))
        {
            return "negative offset, size or stride";
        }

        if (Shape.Any(s => s == 0))
        {
            return null;
        }

        long last = StorageOffset;
        for (int i = 0; i < Shape.Length; i++)
        {
            last += (Shape[i] - 1) * Strides[i];
        }

        return last < Storage.ViewLength
            ? null
            : $"a tensor of shape [{string.Join(", ", Shape)}] at offset {StorageOffset} reaches past its storage of {Storage.ViewLength} elements";
    }
}
