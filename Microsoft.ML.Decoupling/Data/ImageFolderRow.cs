namespace Microsoft.ML.Decoupling.Data;

/// <summary>One row of <see cref="ImageFolderLoader.Load"/>; the schema definition renames the columns.</summary>
internal sealed class ImageFolderRow
{
    /// <summary>Full path of the image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>Class name: the name of the folder holding the image.</summary>
    public string Label { get; set; } = "";
}
