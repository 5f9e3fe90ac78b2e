using System.Buffers.Binary;
using System.Text;
using static ContextNets.IO.Torch.PickleOpcodes;

namespace ContextNets.IO.Torch;

/// <summary>
/// A strict pickle reader for state dicts. It runs the pickle machine over the opcodes of
/// <see cref="PickleOpcodes"/>'s first group only and builds plain data (PickleValues.cs), tensor descriptions and
/// storages. Globals are looked up in <see cref="TorchGlobals"/>, never imported; REDUCE builds an OrderedDict
/// or a tensor description and nothing else; BUILD sets an OrderedDict's `_metadata` and nothing else; persistent
/// ids go to the caller, which turns them into storages. Every length is checked against the bytes left before
/// anything is allocated, nesting is bounded, and the machine never recurses, so a hostile pickle gets a
/// <see cref="InvalidDataException"/> naming the opcode and its offset, never code execution, a hang or a crash.
/// </summary>
internal sealed class Unpickler
{
    /// <summary>Deepest nesting of containers and of MARKs; a state dict needs 4, a checkpoint with optimizer state 6.</summary>
    public const int MaxDepth = 32;

    private const int MaxGlobalLine = 256;

    private readonly byte[] _data;
    private readonly int _start, _end;
    private readonly string _name;
    private readonly Func<PyTuple, string, TorchStorage> _persistentLoad;
    private readonly List<object> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object> _memo = [];
    private int _pos, _op;

    private Unpickler(byte[] data, int start, int end, string name, Func<PyTuple, string, TorchStorage> persistentLoad)
    {
        _data = data;
        _start = start;
        _pos = start;
        _end = end;
        _name = name;
        _persistentLoad = persistentLoad;
    }

    /// <summary>
    /// Reads one pickle from data[start..end) up to its STOP. <paramref name="persistentLoad"/> gets each persistent
    /// id tuple and where it was met. Returns the value and the offset after STOP.
    /// </summary>
    public static (object value, int stop) Load(byte[] data, int start, int end, string name, Func<PyTuple, string, TorchStorage> persistentLoad)
    {
        var u = new Unpickler(data, start, end, name, persistentLoad);
        var value = u.Run();
        return (value, u._pos);
    }

    private string Where => $"{_name} at offset {_op}";

    private object Run()
    {
        while (true)
        {
            if (_pos >= _end) throw Bad($"the pickle ends at offset {_pos} without STOP");
            _op = _pos;
            byte op = _data[_pos++];
            switch (op)
            {
                case Proto:
                    int version = U8();
                    if (_op != _start) throw Bad("PROTO is only allowed as the first opcode");
                    if (version is < 2 or > 5) throw Bad($"pickle protocol {version} (torch.save writes 2 to 5)");
                    break;
                case Frame:
                    ulong frame = U64();
                    if (frame > (ulong)(_end - _pos)) throw Bad($"a frame of {frame} bytes runs past the end of the pickle");
                    break;
                case Stop:
                    if (_marks.Count != 0 || _stack.Count != 1) throw Bad($"STOP with {_stack.Count} values and {_marks.Count} marks on the stack (one value and no mark expected)");
                    return _stack[0];
                case Mark:
                    if (_marks.Count >= MaxDepth) throw Bad($"MARKs nest deeper than {MaxDepth}");
                    _marks.Add(_stack.Count);
                    break;
                case EmptyTuple: Push(Checked(new PyTuple([]))); break;
                case PickleOpcodes.Tuple: Push(Checked(new PyTuple(PopMark()))); break;
                case Tuple1: Push(Checked(new PyTuple(PopN(1)))); break;
                case Tuple2: Push(Checked(new PyTuple(PopN(2)))); break;
                case Tuple3: Push(Checked(new PyTuple(PopN(3)))); break;
                case EmptyList: Push(new PyList()); break;
                case Append:
                {
                    var item = Pop();
                    var list = Top<PyList>("APPEND");
                    list.Add(item);
                    Checked(list);
                    break;
                }
                case Appends:
                {
                    var items = PopMark();
                    var list = Top<PyList>("APPENDS");
                    foreach (var item in items) list.Add(item);
                    Checked(list);
                    break;
                }
                case EmptyDict: Push(new PyDict(ordered: false)); break;
                case SetItem:
                {
                    var value = Pop();
                    var key = Pop();
                    var dict = Top<PyDict>("SETITEM");
                    dict.Set(Key(key), value);
                    Checked(dict);
                    break;
                }
                case SetItems:
                {
                    var items = PopMark();
                    if (items.Length % 2 != 0) throw Bad($"SETITEMS with an odd number ({items.Length}) of keys and values");
                    var dict = Top<PyDict>("SETITEMS");
                    for (int i = 0; i < items.Length; i += 2) dict.Set(Key(items[i]), items[i + 1]);
                    Checked(dict);
                    break;
                }
                case None: Push(PyNone.Value); break;
                case NewTrue: Push(true); break;
                case NewFalse: Push(false); break;
                case BinInt: Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case BinInt1: Push((long)U8()); break;
                case BinInt2: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case Long1: Push(ReadLong1()); break;
                case BinFloat: Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case BinUnicode: Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case ShortBinUnicode: Push(ReadString(U8())); break;
                case BinPut: Put(U8()); break;
                case LongBinPut: Put(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break;
                case Memoize: Put(_memo.Count); break;
                case BinGet: Get(U8()); break;
                case LongBinGet: Get(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break;
                case Global:
                {
                    string module = ReadLine(), name = ReadLine();
                    Push(TorchGlobals.Resolve(module, name, Where));
                    break;
                }
                case StackGlobal:
                {
                    var name = Pop();
                    var module = Pop();
                    if (module is not string m || name is not string n) throw Bad($"STACK_GLOBAL needs two strings, got {TypeName(module)} and {TypeName(name)}");
                    Push(TorchGlobals.Resolve(m, n, Where));
                    break;
                }
                case BinPersId:
                {
                    var pid = Pop();
                    if (pid is not PyTuple t) throw Bad($"BINPERSID needs a tuple, got {TypeName(pid)}");
                    Push(_persistentLoad(t, Where));
                    break;
                }
                case Reduce:
                {
                    var args = Pop();
                    var callable = Pop();
                    Push(Call(callable, args));
                    break;
                }
                case Build:
                {
                    var state = Pop();
                    BuildState(Top<object>("BUILD"), state);
                    break;
                }
                default:
                    throw Bad(IsKnown(op)
                        ? $"the opcode {PickleOpcodes.Name(op)} is not allowed in a state dict"
                        : $"unknown opcode {PickleOpcodes.Name(op)}");
            }
        }
    }

    // REDUCE: the only callables are OrderedDict() and _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]).
    private object Call(object callable, object args)
    {
        if (args is not PyTuple a) throw Bad($"REDUCE needs an argument tuple, got {TypeName(args)}");
        if (callable is not PyGlobal g) throw Bad($"REDUCE on a {TypeName(callable)}; only {TorchGlobals.OrderedDict.FullName} and {TorchGlobals.RebuildTensor.FullName} may be called");
        if (g == TorchGlobals.OrderedDict)
        {
            if (a.Items.Length != 0) throw Bad($"{g.FullName} called with {a.Items.Length} arguments (a state dict calls it with none)");
            return new PyDict(ordered: true);
        }
        if (g != TorchGlobals.RebuildTensor) throw Bad($"REDUCE on {g.FullName}, which may only name a storage's type in a persistent id");
        var x = a.Items;
        if (x.Length is < 6 or > 7) throw Bad($"{g.FullName} called with {x.Length} arguments (6 or 7 expected)");
        if (x[0] is not TorchStorage storage) throw Bad($"{g.FullName}: the storage is a {TypeName(x[0])}");
        if (x[1] is not long offset) throw Bad($"{g.FullName}: the storage offset is a {TypeName(x[1])}");
        var sizes = Longs(x[2], "size");
        var strides = Longs(x[3], "stride");
        if (x[4] is not bool) throw Bad($"{g.FullName}: requires_grad is a {TypeName(x[4])}");
        if (x[5] is not PyDict { Ordered: true, Count: 0 }) throw Bad($"{g.FullName}: the backward hooks are a {TypeName(x[5])}, not an empty OrderedDict");
        if (x.Length == 7 && x[6] is not (PyNone or PyDict { Count: 0 })) throw Bad($"{g.FullName}: the metadata is a {TypeName(x[6])}, not None or empty");
        return TorchTensor.Create(storage, offset, sizes, strides, Where);
    }

    private long[] Longs(object value, string what)
    {
        if (value is not PyTuple t) throw Bad($"the tensor's {what} is a {TypeName(value)}, not a tuple");
        var result = new long[t.Items.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = t.Items[i] is long v ? v : throw Bad($"the tensor's {what} holds a {TypeName(t.Items[i])}");
        return result;
    }

    private void BuildState(object target, object state)
    {
        if (target is not PyDict { Ordered: true } dict)
            throw Bad($"BUILD on a {TypeName(target)}; only an OrderedDict's _metadata may be set");
        if (state is not PyDict { Count: 1 } s || !s.TryGet("_metadata", out var metadata) || metadata is not PyDict m || dict.Metadata is not null)
            throw Bad($"BUILD with a {TypeName(state)}; only a dict holding the _metadata dict of an OrderedDict is allowed, once");
        dict.Metadata = m;
    }

    private object Key(object key) =>
        key is string or long or bool or PyNone ? key : throw Bad($"a dict key is a {TypeName(key)}; only strings, integers, booleans and None are read");

    private long ReadLong1()
    {
        int n = U8();
        if (n > 8) throw Bad($"an integer of {n} bytes (at most 8 are read)");
        var bytes = Take(n);
        if (n == 0) return 0;
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
        // Two's complement of n bytes: sign-extend from the top bit of the last byte.
        int unused = 64 - 8 * n;
        return unused == 0 ? v : (v << unused) >> unused;
    }

    private string ReadString(uint length)
    {
        if (length > (uint)(_end - _pos)) throw Bad($"a string of {length} bytes runs past the end of the pickle ({_end - _pos} bytes left)");
        var bytes = Take((int)length);
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Bad("a string is not valid UTF-8"); }
    }

    // GLOBAL's operands: a module and a name, each an ASCII line.
    private string ReadLine()
    {
        int limit = Math.Min(_end, _pos + MaxGlobalLine);
        for (int i = _pos; i < limit; i++)
        {
            byte b = _data[i];
            if (b == (byte)'\n')
            {
                string line = Encoding.ASCII.GetString(_data, _pos, i - _pos);
                _pos = i + 1;
                return line;
            }
            if (b is < 0x20 or > 0x7e) throw Bad($"GLOBAL names hold the byte 0x{b:x2}");
        }
        throw Bad($"a GLOBAL name has no end of line within {MaxGlobalLine} bytes");
    }

    private void Put(long index)
    {
        if (_stack.Count <= Fence) throw Bad("a memo store with nothing on the stack");
        _memo[index] = _stack[^1];
    }

    private void Get(long index)
    {
        if (!_memo.TryGetValue(index, out var v)) throw Bad($"memo entry {index} was never stored");
        Push(v);
    }

    private int Fence => _marks.Count == 0 ? 0 : _marks[^1];

    private void Push(object value) => _stack.Add(value);

    private object Pop()
    {
        if (_stack.Count <= Fence) throw Bad("the stack is empty (above the last MARK)");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private T Top<T>(string op) where T : class
    {
        if (_stack.Count <= Fence) throw Bad($"{op} with nothing on the stack");
        return _stack[^1] as T ?? throw Bad($"{op} on a {TypeName(_stack[^1])}");
    }

    private object[] PopN(int n)
    {
        if (_stack.Count - Fence < n) throw Bad($"{n} values needed on the stack, {_stack.Count - Fence} there");
        var items = _stack.GetRange(_stack.Count - n, n).ToArray();
        _stack.RemoveRange(_stack.Count - n, n);
        return items;
    }

    private object[] PopMark()
    {
        if (_marks.Count == 0) throw Bad("an opcode that needs a MARK, with none");
        int fence = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(fence, _stack.Count - fence).ToArray();
        _stack.RemoveRange(fence, _stack.Count - fence);
        return items;
    }

    private T Checked<T>(T container) where T : PyContainer =>
        container.Depth <= MaxDepth ? container : throw Bad($"containers nest deeper than {MaxDepth}");

    private byte U8() => Take(1)[0];

    private ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _end - _pos) throw Bad($"the pickle ends inside {PickleOpcodes.Name(_data[_op])}");
        var span = _data.AsSpan(_pos, n);
        _pos += n;
        return span;
    }

    private InvalidDataException Bad(string what) => TorchFormat.Error($"{Where}: {what}.");

    public static string TypeName(object? value) => value switch
    {
        string => "str",
        long => "int",
        double => "float",
        bool => "bool",
        PyNone => "None",
        PyTuple => "tuple",
        PyList => "list",
        PyDict { Ordered: true } => "OrderedDict",
        PyDict => "dict",
        PyGlobal g => $"global {g.FullName}",
        TorchStorage => "storage",
        TorchTensor => "tensor",
        _ => value?.GetType().Name ?? "null",
    };
}
