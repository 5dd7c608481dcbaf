using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// The transformer's output as the caller sees it: rows of <paramref name="output"/>, with a failed pixel check reported
/// by its own exception rather than ML.NET's wrapper from a worker thread (see <see cref="PixelCheck.Unwrapped"/>).
/// </summary>
internal sealed class PixelCheckErrorDataView(IDataView output) : IDataView
{
    public bool CanShuffle => output.CanShuffle;

    public DataViewSchema Schema => output.Schema;

    public long? GetRowCount() => output.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(PixelCheck.Unwrapped(() => output.GetRowCursor(columnsNeeded, rand)));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [.. PixelCheck.Unwrapped(() => output.GetRowCursorSet(columnsNeeded, n, rand)).Select(c => (DataViewRowCursor)new Cursor(c))];

    private sealed class Cursor(DataViewRowCursor inner) : DataViewRowCursor
    {
        public override DataViewSchema Schema => inner.Schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override bool MoveNext() => PixelCheck.Unwrapped(inner.MoveNext);

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var getter = inner.GetGetter<TValue>(column);
            return (ref TValue value) =>
            {
                var copy = value;
                value = PixelCheck.Unwrapped(() =>
                {
                    getter(ref copy);
                    return copy;
                });
            };
        }

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
