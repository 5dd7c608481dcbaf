namespace Microsoft.ML.Decoupling.Onnx;

/// <summary>
/// Where the channels of one feature map sit in the ONNX tensor that holds it. A compact conv whose filter count is not
/// a multiple of the alignment gets zero filters appended (<see cref="OnnxExportOptions.ChannelAlignment"/>), so that
/// ONNX Runtime's blocked NCHWc convolutions, which need a multiple of their block size of input channels, take the next
/// conv too; every reader of the map then places its weights at <see cref="Positions"/> and zeros elsewhere.
/// </summary>
/// <param name="Physical">Channels of the tensor.</param>
/// <param name="Positions">For each channel of the map, its index in the tensor, ascending.</param>
internal sealed record OnnxChannelLayout(long Physical, long[] Positions)
{
    /// <summary>The layout of a map stored as it is.</summary>
    public static OnnxChannelLayout Identity(long channels) => new(channels, Enumerable.Range(0, (int)channels).Select(c => (long)c).ToArray());

    /// <summary>A map of <paramref name="channels"/> channels followed by zero channels up to a multiple of <paramref name="alignment"/>.</summary>
    public static OnnxChannelLayout Aligned(long channels, int alignment) =>
        Identity(channels) with { Physical = (channels + alignment - 1) / alignment * alignment };

    /// <summary>The maps concatenated along the channel axis.</summary>
    public static OnnxChannelLayout Concat(IEnumerable<OnnxChannelLayout> layouts)
    {
        long offset = 0;
        var positions = new List<long>();
        foreach (var layout in layouts)
        {
            positions.AddRange(layout.Positions.Select(p => p + offset));
            offset += layout.Physical;
        }

        return new OnnxChannelLayout(offset, [.. positions]);
    }

    /// <summary>Whether the tensor holds exactly the map's channels.</summary>
    public bool IsIdentity => Physical == Positions.Length;

    /// <summary>
    /// Spreads the columns (dimension 1) of a row-major [rows, Positions.Length, inner…] array over [rows', Physical, inner…]
    /// with zeros elsewhere; rows from <paramref name="rows"/> to <paramref name="paddedRows"/> are zero too.
    /// </summary>
    public float[] PlaceColumns(float[] values, long rows, long inner, long paddedRows)
    {
        long logical = Positions.Length;
        var placed = new float[paddedRows * Physical * inner];
        for (long r = 0; r < rows; r++)
        {
            for (long c = 0; c < logical; c++)
            {
                Array.Copy(values, ((r * logical) + c) * inner, placed, ((r * Physical) + Positions[c]) * inner, inner);
            }
        }

        return placed;
    }
}
