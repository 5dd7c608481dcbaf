namespace Microsoft.ML.Decoupling.Data;

/// <summary>One row of <see cref="ImageDataset.ToDataView"/>; the schema definition renames and retypes the columns.</summary>
internal sealed class ImageDatasetRow
{
    /// <summary>C·H·W pixel values.</summary>
    public float[] Image { get; set; } = [];

    /// <summary>0-based class index; the data view turns it into the 1-based key value.</summary>
    public uint Label { get; set; }
}
