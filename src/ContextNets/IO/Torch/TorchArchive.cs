using System.Text;

namespace ContextNets.IO.Torch;

/// <summary>
/// The layout torch.save gives its zip (PyTorch 1.6 and later): every member under one folder named after the
/// file, `&lt;folder&gt;/data.pkl` (the pickle), `&lt;folder&gt;/version` and `&lt;folder&gt;/data/&lt;key&gt;`
/// (the raw little-endian bytes of each storage); PyTorch 2 adds `byteorder` and a `.data` folder. Storages are
/// checked against their members when the pickle names them, and read whole when a tensor needs them.
/// </summary>
internal sealed class TorchArchive : IStorageSource
{
    private const string PickleName = "data.pkl";

    private readonly StoredZip _zip;
    private readonly string _name, _folder;
    private readonly Dictionary<string, TorchStorage> _storages = new(StringComparer.Ordinal);

    private TorchArchive(StoredZip zip, string name, string folder)
    {
        _zip = zip;
        _name = name;
        _folder = folder;
    }

    public static TorchArchive Open(Stream stream, string name)
    {
        var zip = StoredZip.Open(stream, name);
        var pickles = zip.Entries.Where(e => e.Name.EndsWith("/" + PickleName, StringComparison.Ordinal) && e.Name.IndexOf('/') == e.Name.Length - PickleName.Length - 1).ToList();
        if (pickles.Count == 0) throw TorchFormat.Error($"{name}: a zip without <folder>/{PickleName}, so not a torch.save file.");
        if (pickles.Count > 1) throw TorchFormat.Error($"{name}: several pickles ({string.Join(", ", pickles.Select(p => p.Name))}).");
        string folder = pickles[0].Name[..^(PickleName.Length + 1)];
        var archive = new TorchArchive(zip, name, folder);
        archive.CheckVersion();
        return archive;
    }

    /// <summary>The bytes of data.pkl.</summary>
    public byte[] ReadPickle() => _zip.Read(Member(PickleName, "the pickle"));

    /// <summary>
    /// Turns a persistent id ('storage', storage type, key, location, element count) into a storage, checking
    /// that its member exists and holds exactly count times the element size bytes.
    /// </summary>
    public TorchStorage Resolve(PyTuple pid, string where)
    {
        var storage = TorchStorage.FromPersistentId(pid, where);
        if (pid.Items.Length != 5) throw TorchFormat.Error($"{where}: a persistent id of {pid.Items.Length} items (a zip file's have 5).");
        if (_storages.TryGetValue(storage.Key, out var seen))
        {
            if (seen.DType != storage.DType || seen.Numel != storage.Numel)
                throw TorchFormat.Error($"{where}: storage '{storage.Key}' is declared as {seen.Numel} {seen.DType} and then as {storage.Numel} {storage.DType}.");
            return seen;
        }
        var member = Member("data/" + storage.Key, $"storage '{storage.Key}'");
        if (storage.Numel * storage.ItemSize != member.Length)
            throw TorchFormat.Error($"{where}: storage '{storage.Key}' declares {storage.Numel} {storage.DType} elements, but its member holds {member.Length} bytes.");
        _storages[storage.Key] = storage;
        return storage;
    }

    /// <summary>Every byte of a storage (CRC-checked).</summary>
    public ReadOnlyMemory<byte> ReadStorage(TorchStorage storage) => _zip.Read(Member("data/" + storage.Key, $"storage '{storage.Key}'"));

    private ZipEntry Member(string relative, string what) =>
        _zip.TryGet($"{_folder}/{relative}", out var e)
            ? e
            : throw TorchFormat.Error($"{_name}: {what} has no member {_folder}/{relative}.");

    // torch.save writes format version 3; readers since 1.6 take 1 to 3. A later format may mean other layouts.
    private void CheckVersion()
    {
        string text = SmallText(Member("version", "the format version"));
        if (!int.TryParse(text, out int version) || version is < 1 or > 9)
            throw TorchFormat.Error($"{_name}: format version '{TorchGlobals.Printable(text)}' (this reader takes 1 to 9).");
        if (_zip.TryGet($"{_folder}/byteorder", out var order) && SmallText(order) is var o && o != "little")
            throw TorchFormat.Error($"{_name}: byte order '{TorchGlobals.Printable(o)}'; only little-endian files are read.");
    }

    private string SmallText(ZipEntry entry) =>
        entry.Length <= 64
            ? Encoding.ASCII.GetString(_zip.Read(entry)).Trim()
            : throw TorchFormat.Error($"{_name}: the member {entry.Name} has {entry.Length} bytes; a few were expected.");

}
