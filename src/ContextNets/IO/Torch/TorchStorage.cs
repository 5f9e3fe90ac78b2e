using System.Text.RegularExpressions;

namespace ContextNets.IO.Torch;

/// <summary>
/// A storage a pickle refers to by persistent id: its key (the data/ member, or the legacy file's record, holding
/// it), element type (a <see cref="DTypes"/> name), element count, and the device it was saved from (kept for
/// messages only).
/// </summary>
internal sealed partial record TorchStorage(string Key, string DType, long Numel, string Location)
{
    public int ItemSize => DTypes.Size(DType, Key);

    /// <summary>
    /// Reads the persistent id ('storage', storage type, key, location, element count), which the legacy format
    /// follows with a view description that must be None (views of storages were gone by PyTorch 1.0).
    /// </summary>
    public static TorchStorage FromPersistentId(PyTuple pid, string where)
    {
        var x = pid.Items;
        if (x.Length is not (5 or 6) || x[0] is not "storage")
            throw TorchFormat.Error($"{where}: a persistent id must be ('storage', type, key, location, size), got a tuple of {x.Length}.");
        if (x[1] is not PyGlobal type || !TorchGlobals.IsStorageType(type, out string dtype))
            throw TorchFormat.Error($"{where}: the storage type is a {Unpickler.TypeName(x[1])}.");
        if (x[2] is not string key || !KeyPattern().IsMatch(key))
            throw TorchFormat.Error($"{where}: the storage key {(x[2] is string s ? "'" + TorchGlobals.Printable(s) + "'" : Unpickler.TypeName(x[2]))} is not a short name of letters, digits and underscores.");
        if (x[3] is not string location) throw TorchFormat.Error($"{where}: the storage location is a {Unpickler.TypeName(x[3])}.");
        if (x[4] is not long numel || numel < 0) throw TorchFormat.Error($"{where}: the storage size is {(x[4] is long n ? n.ToString() : Unpickler.TypeName(x[4]))}.");
        if (x.Length == 6 && x[5] is not PyNone) throw TorchFormat.Error($"{where}: storage '{key}' is a view of another storage (a pre-1.0 format), which is not read.");
        if (numel > long.MaxValue / DTypes.Size(dtype, key)) throw TorchFormat.Error($"{where}: storage '{key}' declares {numel} elements.");
        return new TorchStorage(key, dtype, numel, TorchGlobals.Printable(location));
    }

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    private static partial Regex KeyPattern();
}
