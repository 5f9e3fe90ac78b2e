namespace ContextNets.IO.Torch;

/// <summary>
/// Pickle opcodes. The first group is what torch.save writes for state dicts and checkpoints of plain data
/// (dumped with pickletools from PyTorch 1.13, protocol 2 and protocol 4); the unpickler accepts those alone.
/// The second group is known only to name it in the refusal.
/// </summary>
internal static class PickleOpcodes
{
    public const byte Proto = 0x80, Frame = 0x95, Stop = (byte)'.', Mark = (byte)'(';
    public const byte EmptyTuple = (byte)')', Tuple = (byte)'t', Tuple1 = 0x85, Tuple2 = 0x86, Tuple3 = 0x87;
    public const byte EmptyList = (byte)']', Append = (byte)'a', Appends = (byte)'e';
    public const byte EmptyDict = (byte)'}', SetItem = (byte)'s', SetItems = (byte)'u';
    public const byte None = (byte)'N', NewTrue = 0x88, NewFalse = 0x89;
    public const byte BinInt = (byte)'J', BinInt1 = (byte)'K', BinInt2 = (byte)'M', Long1 = 0x8a, BinFloat = (byte)'G';
    public const byte BinUnicode = (byte)'X', ShortBinUnicode = 0x8c;
    public const byte BinPut = (byte)'q', LongBinPut = (byte)'r', Memoize = 0x94, BinGet = (byte)'h', LongBinGet = (byte)'j';
    public const byte Global = (byte)'c', StackGlobal = 0x93, BinPersId = (byte)'Q', Reduce = (byte)'R', Build = (byte)'b';

    private static readonly Dictionary<byte, string> Names = new()
    {
        [Proto] = "PROTO", [Frame] = "FRAME", [Stop] = "STOP", [Mark] = "MARK",
        [EmptyTuple] = "EMPTY_TUPLE", [Tuple] = "TUPLE", [Tuple1] = "TUPLE1", [Tuple2] = "TUPLE2", [Tuple3] = "TUPLE3",
        [EmptyList] = "EMPTY_LIST", [Append] = "APPEND", [Appends] = "APPENDS",
        [EmptyDict] = "EMPTY_DICT", [SetItem] = "SETITEM", [SetItems] = "SETITEMS",
        [None] = "NONE", [NewTrue] = "NEWTRUE", [NewFalse] = "NEWFALSE",
        [BinInt] = "BININT", [BinInt1] = "BININT1", [BinInt2] = "BININT2", [Long1] = "LONG1", [BinFloat] = "BINFLOAT",
        [BinUnicode] = "BINUNICODE", [ShortBinUnicode] = "SHORT_BINUNICODE",
        [BinPut] = "BINPUT", [LongBinPut] = "LONG_BINPUT", [Memoize] = "MEMOIZE", [BinGet] = "BINGET", [LongBinGet] = "LONG_BINGET",
        [Global] = "GLOBAL", [StackGlobal] = "STACK_GLOBAL", [BinPersId] = "BINPERSID", [Reduce] = "REDUCE", [Build] = "BUILD",

        [(byte)'i'] = "INST", [(byte)'o'] = "OBJ", [0x81] = "NEWOBJ", [0x92] = "NEWOBJ_EX", [(byte)'P'] = "PERSID",
        [(byte)'I'] = "INT", [(byte)'L'] = "LONG", [0x8b] = "LONG4", [(byte)'F'] = "FLOAT",
        [(byte)'S'] = "STRING", [(byte)'T'] = "BINSTRING", [(byte)'U'] = "SHORT_BINSTRING", [(byte)'V'] = "UNICODE", [0x8d] = "BINUNICODE8",
        [(byte)'B'] = "BINBYTES", [(byte)'C'] = "SHORT_BINBYTES", [0x8e] = "BINBYTES8", [0x96] = "BYTEARRAY8",
        [0x97] = "NEXT_BUFFER", [0x98] = "READONLY_BUFFER", [(byte)'g'] = "GET", [(byte)'p'] = "PUT",
        [(byte)'0'] = "POP", [(byte)'1'] = "POP_MARK", [(byte)'2'] = "DUP", [(byte)'l'] = "LIST", [(byte)'d'] = "DICT",
        [0x8f] = "EMPTY_SET", [0x90] = "ADDITEMS", [0x91] = "FROZENSET", [0x82] = "EXT1", [0x83] = "EXT2", [0x84] = "EXT4",
    };

    public static string Name(byte op) => Names.TryGetValue(op, out var n) ? $"{n} (0x{op:x2})" : $"0x{op:x2}";

    public static bool IsKnown(byte op) => Names.ContainsKey(op);
}
