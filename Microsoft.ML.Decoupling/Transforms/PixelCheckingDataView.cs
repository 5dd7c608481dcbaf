using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>A view of <paramref name="source"/> whose image column fails on a value that is not a finite pixel in [0, 1] (see <see cref="PixelCheck"/>).</summary>
internal sealed class PixelCheckingDataView(IDataView source, string imageColumnName) : IDataView
{
    private readonly int _imageColumn = source.Schema[imageColumnName].Index;

    public bool CanShuffle => source.CanShuffle;

    public DataViewSchema Schema => source.Schema;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(source.GetRowCursor(columnsNeeded, rand), _imageColumn, imageColumnName);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [.. source.GetRowCursorSet(columnsNeeded, n, rand).Select(c => (DataViewRowCursor)new Cursor(c, _imageColumn, imageColumnName))];

    private sealed class Cursor(DataViewRowCursor inner, int imageColumn, string imageColumnName) : DataViewRowCursor
    {
        public override DataViewSchema Schema => inner.Schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override bool MoveNext() => inner.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            PixelCheck.Wrap(inner.GetGetter<TValue>(column), column, imageColumn, imageColumnName, () => inner.Position);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
