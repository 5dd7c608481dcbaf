namespace Microsoft.ML.Decoupling.Data;

/// <summary>The contents of an IDX image file: <paramref name="Count"/> images of <paramref name="Rows"/>×<paramref name="Columns"/> bytes.</summary>
/// <param name="Pixels">Count×Rows×Columns unsigned bytes, row-major, exactly as stored in the file.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Image height in pixels.</param>
/// <param name="Columns">Image width in pixels.</param>
internal sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Columns);
