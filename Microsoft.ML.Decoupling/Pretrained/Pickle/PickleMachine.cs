using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Decoupling.Pretrained.Pickle;

/// <summary>
/// A pickle interpreter for the data <c>torch.save</c> writes (protocols 0–5 as far as state dictionaries and training
/// checkpoints use them). It never resolves or calls a Python global: the few that build state dictionaries are modelled
/// (<see cref="PickleGlobals"/>), every other object becomes an inert <see cref="PickleObject"/>. Values: <c>None</c> → null, bool, long (or
/// <see cref="BigInteger"/>), double, string, byte[], tuple → object?[], list → List, dict → Dictionary (insertion
/// order), global → <see cref="PickleGlobal"/>, persistent ids → whatever the callback returns.
/// </summary>
/// <remarks>
/// Reads exactly one pickle, up to and including its STOP opcode, so that the legacy format's several consecutive pickles
/// can be read from one stream. Declared lengths are checked against what the stream still holds before allocating.
/// Why not Razorvine.Pickle (which TorchSharp.PyBridge uses): its class constructors live in one process-wide table in
/// which PyBridge registers its own zip-only tensor constructor, so a second reader cannot coexist with it.
/// </remarks>
internal sealed class PickleMachine
{
    private const int ChunkSize = 1 << 16;

    private readonly Stream _stream;
    private readonly Func<object?, object?> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];

    private PickleMachine(Stream stream, Func<object?, object?> persistentLoad)
    {
        _stream = stream;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Reads one pickle from the stream's current position.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a pickle this reader understands.</exception>
    public static object? Load(Stream stream, Func<object?, object?>? persistentLoad = null) =>
        new PickleMachine(stream, persistentLoad ?? (id => throw new InvalidDataException($"unexpected persistent id {id}"))).Run();

    private object? Run()
    {
        while (true)
        {
            long at = _stream.CanSeek ? _stream.Position : -1;
            byte opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: ReadByte(); break; // PROTO
                case 0x95: ReadInt64(); break; // FRAME: a length hint only
                case (byte)'.': return Pop(); // STOP
                case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': Push(Peek()); break; // DUP
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case 0x8a: Push(Long(ReadBytes(ReadByte()))); break; // LONG1
                case 0x8b: Push(Long(ReadBytes(ReadLength(BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4)))))); break; // LONG4
                case (byte)'I': Push(TextInt(ReadLine())); break; // INT (also 00/01 for bools)
                case (byte)'L': Push(BigOrLong(BigInteger.Parse(ReadLine().TrimEnd('L'), CultureInfo.InvariantCulture))); break; // LONG
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'F': Push(double.Parse(ReadLine(), CultureInfo.InvariantCulture)); break; // FLOAT
                case (byte)'X': Push(Utf8(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))))); break; // BINUNICODE
                case 0x8c: Push(Utf8(ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(ReadLength(ReadInt64()))); break; // BINUNICODE8
                // Python 2 byte strings (old checkpoints): keys are ASCII; Latin-1 keeps any byte.
                case (byte)'U': Push(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'T': Push(Encoding.Latin1.GetString(ReadBytes(ReadLength(BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4)))))); break; // BINSTRING
                case (byte)'C': Push(ReadBytes(ReadByte())); break; // SHORT_BINBYTES
                case (byte)'B': Push(ReadBytes(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))))); break; // BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength(ReadInt64()))); break; // BINBYTES8
                case (byte)'V': Push(Regex.Unescape(ReadLine())); break; // UNICODE (raw-unicode-escape, close enough for names)
                case (byte)'S': Push(ReadLine().Trim('\'', '"')); break; // STRING
                case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case 0x85: Push(new[] { Pop() }); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'t': Push(PopMark().ToArray()); break; // TUPLE
                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)'l': Push(PopMark()); break; // LIST
                case (byte)'a': { var item = Pop(); TopList().Add(item); break; } // APPEND
                case (byte)'e': { var items = PopMark(); TopList().AddRange(items); break; } // APPENDS
                case (byte)'}': Push(new Dictionary<object, object?>()); break; // EMPTY_DICT
                case (byte)'d': { var items = PopMark(); var dict = new Dictionary<object, object?>(); SetItems(dict, items); Push(dict); break; } // DICT
                case (byte)'s': { var value = Pop(); var key = Pop(); SetItems(TopDict(), [key, value]); break; } // SETITEM
                case (byte)'u': { var items = PopMark(); SetItems(TopDict(), items); break; } // SETITEMS
                case 0x8f: Push(new List<object?>()); break; // EMPTY_SET (as a list)
                case 0x90: { var items = PopMark(); TopList().AddRange(items); break; } // ADDITEMS
                case 0x91: Push(PopMark()); break; // FROZENSET
                case (byte)'c': { string module = ReadLine(); Push(new PickleGlobal(module, ReadLine())); break; } // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); Push(new PickleGlobal(AsString(module), AsString(name))); break; } // STACK_GLOBAL
                case (byte)'R': { var args = Pop(); var callable = Pop(); Push(PickleGlobals.Reduce(callable, AsTuple(args))); break; } // REDUCE
                case 0x81: { var args = Pop(); var type = Pop(); Push(PickleGlobals.NewObject(type, AsTuple(args))); break; } // NEWOBJ
                case 0x92: { Pop(); var args = Pop(); var type = Pop(); Push(PickleGlobals.NewObject(type, AsTuple(args))); break; } // NEWOBJ_EX
                case (byte)'o': { var items = PopMark(); Push(PickleGlobals.NewObject(items[0], [.. items.Skip(1)])); break; } // OBJ
                case (byte)'b': { var state = Pop(); PickleGlobals.Build(Peek(), state); break; } // BUILD
                case (byte)'Q': Push(_persistentLoad(Pop())); break; // BINPERSID
                case (byte)'P': Push(_persistentLoad(ReadLine())); break; // PERSID
                case (byte)'q': _memo[ReadByte()] = Peek(); break; // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break; // LONG_BINPUT
                case (byte)'p': _memo[long.Parse(ReadLine(), CultureInfo.InvariantCulture)] = Peek(); break; // PUT
                case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'h': Push(Memo(ReadByte())); break; // BINGET
                case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                case (byte)'g': Push(Memo(long.Parse(ReadLine(), CultureInfo.InvariantCulture))); break; // GET
                default:
                    throw new InvalidDataException($"unsupported pickle opcode 0x{opcode:x2}{(at >= 0 ? $" at byte {at}" : "")}");
            }
        }
    }

    internal static void SetItems(Dictionary<object, object?> dict, IReadOnlyList<object?> items)
    {
        if (items.Count % 2 != 0)
        {
            throw new InvalidDataException("a dictionary with an odd number of keys and values");
        }

        for (int i = 0; i < items.Count; i += 2)
        {
            object key = items[i] switch
            {
                null => throw new InvalidDataException("a dictionary key None"),
                object?[] tuple => string.Join(",", tuple), // tuple keys never name weights; keep them distinct
                List<object?> => throw new InvalidDataException("a list as dictionary key"),
                var k => k,
            };
            dict[key] = items[i + 1];
        }
    }

    private object? Memo(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw new InvalidDataException($"memo entry {index} read before it was written");

    private void Push(object? value) => _stack.Add(value);

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw new InvalidDataException("pickle stack underflow");

    private object? Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
        {
            throw new InvalidDataException("pickle MARK missing");
        }

        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private List<object?> TopList() =>
        Peek() as List<object?> ?? throw new InvalidDataException($"APPEND on {Describe(Peek())}");

    private Dictionary<object, object?> TopDict() =>
        Peek() as Dictionary<object, object?> ?? throw new InvalidDataException($"SETITEM on {Describe(Peek())}");

    private byte ReadByte()
    {
        int value = _stream.ReadByte();
        return value >= 0 ? (byte)value : throw new EndOfStreamException("the pickle ends early");
    }

    private long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8));

    private int ReadLength(long declared)
    {
        long remaining = _stream.CanSeek ? _stream.Length - _stream.Position : long.MaxValue;
        if (declared < 0 || declared > int.MaxValue || declared > remaining)
        {
            throw new InvalidDataException($"a pickle value declares {declared} bytes{(_stream.CanSeek ? $" but the file holds {remaining} more" : "")}");
        }

        return (int)declared;
    }

    // Reads in chunks, so that a corrupt length in a stream of unknown length fails at its end, not in an allocation.
    private byte[] ReadBytes(int count)
    {
        if (count <= ChunkSize)
        {
            var small = new byte[count];
            _stream.ReadExactly(small);
            return small;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[ChunkSize];
        while (buffer.Length < count)
        {
            int n = _stream.Read(chunk, 0, (int)Math.Min(ChunkSize, count - buffer.Length));
            if (n == 0)
            {
                throw new EndOfStreamException("the pickle ends early");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    private string Utf8(int count) => Encoding.UTF8.GetString(ReadBytes(count));

    private string ReadLine()
    {
        var bytes = new List<byte>();
        byte b;
        while ((b = ReadByte()) != (byte)'\n')
        {
            bytes.Add(b);
            if (bytes.Count > ChunkSize)
            {
                throw new InvalidDataException("a pickle text line is too long");
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static object TextInt(string text) => text switch
    {
        "00" => false,
        "01" => true,
        _ => BigOrLong(BigInteger.Parse(text, CultureInfo.InvariantCulture)),
    };

    private static object Long(byte[] littleEndianTwosComplement) =>
        BigOrLong(new BigInteger(littleEndianTwosComplement, isUnsigned: false, isBigEndian: false));

    private static object BigOrLong(BigInteger value) =>
        value >= long.MinValue && value <= long.MaxValue ? (long)value : value;

    internal static long AsLong(object? value) =>
        value is long l ? l : throw new InvalidDataException($"expected an integer, found {Describe(value)}");

    internal static long[] Longs(object? value) => AsTuple(value).Select(AsLong).ToArray();

    private static string AsString(object? value) =>
        value as string ?? throw new InvalidDataException($"expected a string, found {Describe(value)}");

    internal static object?[] AsTuple(object? value) => value switch
    {
        object?[] tuple => tuple,
        List<object?> list => [.. list],
        _ => throw new InvalidDataException($"expected a tuple, found {Describe(value)}"),
    };

    /// <summary>A short description of a pickled value for messages.</summary>
    internal static string Describe(object? value) => value switch
    {
        null => "None",
        string => "a string",
        long or BigInteger => "an integer",
        double => "a float",
        bool => "a bool",
        byte[] => "bytes",
        object?[] => "a tuple",
        List<object?> => "a list",
        Dictionary<object, object?> => "a dictionary",
        TorchTensorReference => "a tensor",
        TorchStorageReference => "a storage",
        _ => value.ToString() ?? value.GetType().Name,
    };
}
