using System.Buffers.Binary;

namespace ContextNets.IO.Torch;

/// <summary>
/// The format torch.save wrote before PyTorch 1.6 (and still writes with _use_new_zipfile_serialization=False),
/// in which many published checkpoints exist, the official ResNeSt weights among them: five pickles one after the
/// other (a magic number, the protocol version 1001, a dict of system facts, the object itself, the list of
/// storage keys), then each storage in that list's order as an int64 element count and the raw little-endian
/// elements. The same strict <see cref="Unpickler"/> reads every pickle; the storage records must match the
/// pickle's declarations and end exactly at the end of the file.
/// </summary>
internal sealed class TorchLegacyFile : IStorageSource
{
    // PROTO 2, LONG1 of 10 bytes holding 0x1950a86a20f9469cfc6c (torch's magic number), STOP.
    private static readonly byte[] Magic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

    private readonly byte[] _bytes;
    private readonly string _name;
    private readonly Dictionary<string, TorchStorage> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long offset, long length)> _records = new(StringComparer.Ordinal);

    private TorchLegacyFile(byte[] bytes, string name)
    {
        _bytes = bytes;
        _name = name;
    }

    /// <summary>Whether a file starts as a legacy torch.save file does (the first four bytes of the magic pickle).</summary>
    public static bool LooksLike(ReadOnlySpan<byte> head) => head.Length >= 4 && head[..4].SequenceEqual(Magic.AsSpan(0, 4));

    /// <summary>Reads the whole file: returns the storage source and the unpickled object.</summary>
    public static (TorchLegacyFile file, object root) Read(byte[] bytes, string name)
    {
        if (!bytes.AsSpan().StartsWith(Magic)) throw TorchFormat.Error($"{name}: not a torch.save file (neither a zip nor the legacy magic number).");
        var file = new TorchLegacyFile(bytes, name);
        int pos = Magic.Length;
        object version, system, root, keys;
        (version, pos) = Unpickler.Load(bytes, pos, bytes.Length, $"{name}: the protocol version pickle", NoStorages);
        if (version is not 1001L) throw TorchFormat.Error($"{name}: legacy protocol version {version} (1001 expected).");
        (system, pos) = Unpickler.Load(bytes, pos, bytes.Length, $"{name}: the system-information pickle", NoStorages);
        if (system is not PyDict info || !info.TryGet("little_endian", out var little) || little is not true)
            throw TorchFormat.Error($"{name}: the file was not written on a little-endian machine (or says nothing about it).");
        (root, pos) = Unpickler.Load(bytes, pos, bytes.Length, $"{name}: the main pickle", file.Resolve);
        (keys, pos) = Unpickler.Load(bytes, pos, bytes.Length, $"{name}: the storage-key pickle", NoStorages);
        if (keys is not PyList list || list.Items.Any(k => k is not string))
            throw TorchFormat.Error($"{name}: the storage keys are a {Unpickler.TypeName(keys)}, not a list of strings.");
        file.LocateRecords(list.Items.Cast<string>().ToList(), pos);
        return (file, root);
    }

    public TorchStorage Resolve(PyTuple pid, string where)
    {
        var storage = TorchStorage.FromPersistentId(pid, where);
        if (pid.Items.Length != 6) throw TorchFormat.Error($"{where}: a persistent id of {pid.Items.Length} items (a legacy file's have 6).");
        if (_declared.TryGetValue(storage.Key, out var seen))
        {
            if (seen.DType != storage.DType || seen.Numel != storage.Numel)
                throw TorchFormat.Error($"{where}: storage '{storage.Key}' is declared as {seen.Numel} {seen.DType} and then as {storage.Numel} {storage.DType}.");
            return seen;
        }
        _declared[storage.Key] = storage;
        return storage;
    }

    public ReadOnlyMemory<byte> ReadStorage(TorchStorage storage)
    {
        var (offset, length) = _records[storage.Key];
        return _bytes.AsMemory((int)offset, (int)length);
    }

    // Walks the storage records after the pickles: each key's record must be there, hold the declared count, and
    // the last must end the file. Nothing is copied.
    private void LocateRecords(List<string> keys, int pos)
    {
        long at = pos;
        foreach (string key in keys)
        {
            if (!_declared.TryGetValue(key, out var storage))
                throw TorchFormat.Error($"{_name}: the storage list names '{TorchGlobals.Printable(key)}', which the pickle never declared.");
            if (_records.ContainsKey(key)) throw TorchFormat.Error($"{_name}: the storage list names '{key}' twice.");
            if (_bytes.Length - at < 8) throw TorchFormat.Error($"{_name}: the file ends before the record of storage '{key}' (truncated).");
            long count = BinaryPrimitives.ReadInt64LittleEndian(_bytes.AsSpan((int)at));
            if (count != storage.Numel) throw TorchFormat.Error($"{_name}: storage '{key}' is declared with {storage.Numel} elements but its record holds {count}.");
            long length = count * storage.ItemSize;
            if (length > _bytes.Length - at - 8) throw TorchFormat.Error($"{_name}: the {length} bytes of storage '{key}' run past the end of the file (truncated).");
            _records[key] = (at + 8, length);
            at += 8 + length;
        }
        var absent = _declared.Keys.FirstOrDefault(k => !_records.ContainsKey(k));
        if (absent is not null) throw TorchFormat.Error($"{_name}: storage '{absent}' is declared but has no record.");
        if (at != _bytes.Length) throw TorchFormat.Error($"{_name}: {_bytes.Length - at} bytes follow the last storage record.");
    }

    private static TorchStorage NoStorages(PyTuple pid, string where) =>
        throw TorchFormat.Error($"{where}: a persistent id where none belongs.");
}
