using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// A row-to-row mapper (what a <c>PredictionEngine</c> uses) whose input rows fail on an image value that is not a finite pixel in [0, 1] before the
/// inner mapper sees them (see <see cref="PixelCheck"/>).
/// </summary>
internal sealed class PixelCheckingMapper(IRowToRowMapper inner, string imageColumnName) : IRowToRowMapper
{
    private readonly int _imageColumn = inner.InputSchema[imageColumnName].Index;

    public DataViewSchema InputSchema => inner.InputSchema;

    public DataViewSchema OutputSchema => inner.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        inner.GetDependencies(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        inner.GetRow(new CheckingRow(input, _imageColumn, imageColumnName), activeColumns);

    private sealed class CheckingRow(DataViewRow row, int imageColumn, string imageColumnName) : DataViewRow
    {
        public override DataViewSchema Schema => row.Schema;

        public override long Position => row.Position;

        public override long Batch => row.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => row.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => row.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            PixelCheck.Wrap(row.GetGetter<TValue>(column), column, imageColumn, imageColumnName, () => row.Position);
    }
}
