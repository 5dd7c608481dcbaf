using Microsoft.ML.Data;

namespace Microsoft.ML.Decoupling.Transforms;

/// <summary>Reads a key-typed label of any raw type as a ulong (0: missing); the caller checks it against the key count.</summary>
internal static class KeyLabelGetter
{
    public static Func<ulong> Create(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        switch (((KeyDataViewType)column.Type).RawType)
        {
            case var t when t == typeof(uint):
            {
                var getter = cursor.GetGetter<uint>(column);
                return () => { uint v = 0; getter(ref v); return v; };
            }

            case var t when t == typeof(ushort):
            {
                var getter = cursor.GetGetter<ushort>(column);
                return () => { ushort v = 0; getter(ref v); return v; };
            }

            case var t when t == typeof(byte):
            {
                var getter = cursor.GetGetter<byte>(column);
                return () => { byte v = 0; getter(ref v); return v; };
            }

            default:
            {
                var getter = cursor.GetGetter<ulong>(column);
                return () => { ulong v = 0; getter(ref v); return v; };
            }
        }
    }
}
