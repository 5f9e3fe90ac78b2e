using System.Buffers.Binary;
using System.Text;
using ContextNets.IO.Torch;

namespace ContextNets.Tests.IO.Torch;

/// <summary>Writes pickles opcode by opcode, for files torch.save would never write.</summary>
internal sealed class PickleWriter
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public PickleWriter Op(byte op, params byte[] operand)
    {
        _bytes.Add(op);
        _bytes.AddRange(operand);
        return this;
    }

    public PickleWriter Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleWriter Proto(byte version = 2) => Op(0x80, version);
    public PickleWriter Mark() => Op((byte)'(');
    public PickleWriter Stop() => Op((byte)'.');
    public PickleWriter EmptyTuple() => Op((byte)')');
    public PickleWriter Tuple() => Op((byte)'t');
    public PickleWriter EmptyDict() => Op((byte)'}');
    public PickleWriter EmptyList() => Op((byte)']');
    public PickleWriter Append() => Op((byte)'a');
    public PickleWriter SetItem() => Op((byte)'s');
    public PickleWriter SetItems() => Op((byte)'u');
    public PickleWriter Reduce() => Op((byte)'R');
    public PickleWriter Build() => Op((byte)'b');
    public PickleWriter BinPersId() => Op((byte)'Q');
    public PickleWriter False() => Op(0x89);
    public PickleWriter Put(byte index) => Op((byte)'q', index);
    public PickleWriter Get(byte index) => Op((byte)'h', index);

    public PickleWriter Global(string module, string name) => Op((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleWriter Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op((byte)'X').Raw(BitConverter.GetBytes((uint)b.Length));
        return Raw(b);
    }

    /// <summary>An integer, as the smallest opcode that holds it (BININT1, BININT2, BININT or LONG1).</summary>
    public PickleWriter Int(long v)
    {
        if (v is >= 0 and < 256) return Op((byte)'K', (byte)v);
        if (v is >= 0 and < 65536) return Op((byte)'M', (byte)v, (byte)(v >> 8));
        if (v is >= int.MinValue and <= int.MaxValue) return Op((byte)'J').Raw(BitConverter.GetBytes((int)v));
        return Op(0x8a, 8).Raw(BitConverter.GetBytes(v));
    }

    public PickleWriter IntTuple(params long[] values)
    {
        Mark();
        foreach (long v in values) Int(v);
        return Tuple();
    }

    /// <summary>OrderedDict() as torch writes it: GLOBAL collections OrderedDict, EMPTY_TUPLE, REDUCE.</summary>
    public PickleWriter OrderedDict() => Global("collections", "OrderedDict").EmptyTuple().Reduce();

    /// <summary>_rebuild_tensor_v2(storage(key, dtype, numel), offset, sizes, strides, False, OrderedDict()) on the stack.</summary>
    public PickleWriter Tensor(string storageKey, string storageType, long storageNumel, long offset, long[] sizes, long[] strides)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", storageType).Str(storageKey).Str("cpu").Int(storageNumel).Tuple().BinPersId();
        Int(offset).IntTuple(sizes).IntTuple(strides).False().OrderedDict();
        return Tuple().Reduce();
    }

    public byte[] ToArray() => [.. _bytes];
}

/// <summary>A tensor entry for <see cref="TorchFiles.StateDict"/>.</summary>
internal sealed record TensorSpec(string Key, string StorageKey, string StorageType, long StorageNumel, long Offset, long[] Sizes, long[] Strides);

/// <summary>torch.save-shaped files made in the test: stored zips with correct CRCs, and valid or hostile pickles.</summary>
internal static class TorchFiles
{
    /// <summary>A state dict pickle: OrderedDict() then MARK, key, tensor, ..., SETITEMS, STOP.</summary>
    public static byte[] StateDict(params TensorSpec[] tensors)
    {
        var p = new PickleWriter().Proto().OrderedDict().Mark();
        foreach (var t in tensors)
            p.Str(t.Key).Tensor(t.StorageKey, t.StorageType, t.StorageNumel, t.Offset, t.Sizes, t.Strides);
        return p.SetItems().Stop().ToArray();
    }

    /// <summary>A torch.save zip: archive/data.pkl, archive/data/KEY for each storage, archive/version.</summary>
    public static byte[] Zip(byte[] pickle, IReadOnlyDictionary<string, byte[]> storages, string folder = "archive")
    {
        var members = new List<(string, byte[])> { ($"{folder}/data.pkl", pickle) };
        members.AddRange(storages.Select(kv => ($"{folder}/data/{kv.Key}", kv.Value)));
        members.Add(($"{folder}/version", "3\n"u8.ToArray()));
        return StoredZipOf(members);
    }

    /// <summary>A plain stored zip (no data descriptors, no zip64) of the members in order.</summary>
    public static byte[] StoredZipOf(IEnumerable<(string name, byte[] data)> members)
    {
        var file = new MemoryStream();
        var central = new MemoryStream();
        int count = 0;
        foreach (var (name, data) in members)
        {
            var n = Encoding.UTF8.GetBytes(name);
            uint crc = System.IO.Hashing.Crc32.HashToUInt32(data);
            long offset = file.Position;
            Write(file, 0x04034b50u, (ushort)20, (ushort)0, (ushort)0, (ushort)0, (ushort)0, crc, (uint)data.Length, (uint)data.Length, (ushort)n.Length, (ushort)0);
            file.Write(n);
            file.Write(data);
            Write(central, 0x02014b50u, (ushort)20, (ushort)20, (ushort)0, (ushort)0, (ushort)0, (ushort)0, crc, (uint)data.Length, (uint)data.Length,
                (ushort)n.Length, (ushort)0, (ushort)0, (ushort)0, (ushort)0, 0u, (uint)offset);
            central.Write(n);
            count++;
        }
        long cdOffset = file.Position;
        central.Position = 0;
        central.CopyTo(file);
        Write(file, 0x06054b50u, (ushort)0, (ushort)0, (ushort)count, (ushort)count, (uint)central.Length, (uint)cdOffset, (ushort)0);
        return file.ToArray();
    }

    /// <summary>The members of a zip, in directory order (read with the reader under test, which checked them).</summary>
    public static List<(string name, byte[] data)> Members(byte[] zip)
    {
        var z = StoredZip.Open(new MemoryStream(zip), "zip");
        return [.. z.Entries.Select(e => (e.Name, z.Read(e)))];
    }

    public static byte[] Floats(params float[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
        return b;
    }

    private static void Write(Stream s, params object[] fields)
    {
        foreach (var f in fields)
        {
            switch (f)
            {
                case ushort u: s.Write(BitConverter.GetBytes(u)); break;
                case uint u: s.Write(BitConverter.GetBytes(u)); break;
                default: throw new ArgumentException(f.GetType().Name);
            }
        }
    }
}
