using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>
/// A transformer's output whose cursors read through <paramref name="guard"/>: reading it after the transformer was
/// disposed throws <see cref="ObjectDisposedException"/>, and the transformer's Dispose waits for reads in flight.
/// </summary>
internal sealed class RowReadGuardedDataView(IDataView output, RowReadGuard guard) : IDataView
{
    public bool CanShuffle => output.CanShuffle;

    public DataViewSchema Schema => output.Schema;

    public long? GetRowCount() => output.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        guard.Enter();
        try
        {
            return new Cursor(output.GetRowCursor(columnsNeeded, rand), guard);
        }
        finally
        {
            guard.Exit();
        }
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        guard.Enter();
        try
        {
            return [.. output.GetRowCursorSet(columnsNeeded, n, rand).Select(c => (DataViewRowCursor)new Cursor(c, guard))];
        }
        finally
        {
            guard.Exit();
        }
    }

    private sealed class Cursor(DataViewRowCursor inner, RowReadGuard guard) : DataViewRowCursor
    {
        public override DataViewSchema Schema => inner.Schema;

        public override long Position => inner.Position;

        public override long Batch => inner.Batch;

        public override bool MoveNext()
        {
            guard.Enter();
            try
            {
                return inner.MoveNext();
            }
            finally
            {
                guard.Exit();
            }
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            ValueGetter<TValue> getter;
            guard.Enter();
            try
            {
                getter = inner.GetGetter<TValue>(column);
            }
            finally
            {
                guard.Exit();
            }

            return (ref TValue value) =>
            {
                guard.Enter();
                try
                {
                    getter(ref value);
                }
                finally
                {
                    guard.Exit();
                }
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                guard.RunBetweenReads(inner.Dispose);
            }

            base.Dispose(disposing);
        }
    }
}
