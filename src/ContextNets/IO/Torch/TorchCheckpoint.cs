namespace ContextNets.IO.Torch;

/// <summary>
/// A file written by torch.save (a zip of data.pkl and raw storages, or the format before PyTorch 1.6) holding a state dict,
/// at the top level or under `state_dict` (see <see cref="StateDictLocator"/>). Opening reads the zip directory
/// and runs the strict <see cref="Unpickler"/> over data.pkl, which checks every tensor's shape, strides and
/// offset against its storage; values are read on <see cref="Load"/>, converted to float32 (F32, F16, BF16, F64,
/// and I64, which BatchNorm's num_batches_tracked counters use). Anything that is not such a file, or asks the
/// pickle for more than data, is a <see cref="InvalidDataException"/>. The file stays open until Dispose.
/// </summary>
public sealed class TorchCheckpoint : IStateDictSource, IDisposable
{
    /// <summary>
    /// The tensors may hold at most this many times the elements of their storages (tied weights count twice),
    /// plus <see cref="TorchTensor.BroadcastAllowance"/>: overlapping views could otherwise turn a small file into
    /// endless work.
    /// </summary>
    public const int ViewBudget = 4;

    private readonly Stream _stream;
    private readonly IStorageSource _storages;
    private readonly Dictionary<string, TorchTensor> _tensors;
    private readonly List<string> _keys;
    private (TorchStorage storage, ReadOnlyMemory<byte> bytes)? _cached;

    private TorchCheckpoint(Stream stream, IStorageSource storages, List<KeyValuePair<string, TorchTensor>> tensors, string name, string path, List<string> skipped,
        bool legacy)
    {
        _stream = stream;
        _storages = storages;
        IsLegacyFormat = legacy;
        _tensors = tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        _keys = [.. tensors.Select(kv => kv.Key)];
        Name = name;
        StateDictPath = path;
        SkippedKeys = skipped;
    }

    /// <summary>The file name (or the name given to <see cref="Parse"/>), as error messages use it.</summary>
    public string Name { get; }

    /// <summary>Where the state dict was found: "" for the top level, else the checkpoint key (`state_dict`, `model`, ...).</summary>
    public string StateDictPath { get; }

    /// <summary>Whether the file is in the format before PyTorch 1.6 (<see cref="TorchLegacyFile"/>) rather than a zip.</summary>
    public bool IsLegacyFormat { get; }

    /// <summary>Entries of the state dict that are not tensors, set aside.</summary>
    public IReadOnlyList<string> SkippedKeys { get; }

    public IEnumerable<string> Keys => _keys;

    public static TorchCheckpoint Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No file at {path}.", path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        try
        {
            return Read(stream, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a torch.save file from memory; <paramref name="name"/> goes into error messages.</summary>
    public static TorchCheckpoint Parse(byte[] bytes, string name = "torch data") =>
        Read(new MemoryStream(bytes ?? throw new ArgumentNullException(nameof(bytes)), writable: false), name);

    private static TorchCheckpoint Read(Stream stream, string name)
    {
        Span<byte> head = stackalloc byte[4];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        IStorageSource storages;
        object root;
        bool legacy = TorchLegacyFile.LooksLike(head[..n]);
        if (legacy)
        {
            if (stream.Length > Array.MaxLength) throw TorchFormat.Error($"{name}: a legacy-format file of {stream.Length} bytes is more than this reader takes; re-save it with a current torch.save.");
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            (storages, root) = TorchLegacyFile.Read(bytes, name);
        }
        else
        {
            var archive = TorchArchive.Open(stream, name);
            var pickle = archive.ReadPickle();
            int stop;
            (root, stop) = Unpickler.Load(pickle, 0, pickle.Length, $"{name}: data.pkl", archive.Resolve);
            if (stop != pickle.Length) throw TorchFormat.Error($"{name}: data.pkl has {pickle.Length - stop} bytes after its STOP.");
            storages = archive;
        }
        var (tensors, path, skipped) = StateDictLocator.Find(root, name);
        CheckViewBudget(tensors, name);
        return new TorchCheckpoint(stream, storages, tensors, name, path, skipped, legacy);
    }

    private static void CheckViewBudget(List<KeyValuePair<string, TorchTensor>> tensors, string name)
    {
        long stored = tensors.Select(kv => kv.Value.Storage).Distinct().Sum(s => s.Numel);
        long viewed = 0;
        foreach (var (_, t) in tensors) viewed += t.Numel;
        if (viewed > ViewBudget * (double)stored + TorchTensor.BroadcastAllowance)
            throw TorchFormat.Error($"{name}: the tensors view {viewed} elements of storages holding {stored}; overlapping views that repeat storages more than {ViewBudget} times over are refused.");
    }

    public bool Contains(string key) => _tensors.ContainsKey(key);

    public Shape ShapeOf(string key) => Get(key).Shape;

    public string DTypeOf(string key) => Get(key).Storage.DType;

    /// <summary>The tensor as a new float32 tensor in row-major order, whatever its strides and offset in the file.</summary>
    public Tensor Load(string key)
    {
        var t = Get(key);
        // Views of one storage tend to come one after another (a flat buffer, a tied weight): keep the last one read.
        if (_cached is not { } c || !ReferenceEquals(c.storage, t.Storage)) _cached = c = (t.Storage, _storages.ReadStorage(t.Storage));
        return t.Materialize(c.bytes.Span);
    }

    private TorchTensor Get(string key) =>
        _tensors.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"{Name} has no tensor '{key}'.");

    public void Dispose() => _stream.Dispose();
}
