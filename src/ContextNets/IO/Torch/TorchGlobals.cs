namespace ContextNets.IO.Torch;

/// <summary>
/// The globals a state dict's pickle may name, and nothing else: collections.OrderedDict (the dict itself),
/// torch._utils._rebuild_tensor_v2 (one tensor over a storage) and the storage types of the element types
/// ContextNets reads. Naming a global only looks it up in this list; nothing is ever imported or called.
/// </summary>
internal static class TorchGlobals
{
    public static readonly PyGlobal OrderedDict = new("collections", "OrderedDict");
    public static readonly PyGlobal RebuildTensor = new("torch._utils", "_rebuild_tensor_v2");

    /// <summary>Storage type names to the element types of <see cref="DTypes"/>.</summary>
    public static readonly IReadOnlyDictionary<string, string> StorageTypes = new Dictionary<string, string>
    {
        ["FloatStorage"] = "F32",
        ["HalfStorage"] = "F16",
        ["BFloat16Storage"] = "BF16",
        ["DoubleStorage"] = "F64",
        ["LongStorage"] = "I64",
    };

    public static string Allowed =>
        $"{OrderedDict.FullName}, {RebuildTensor.FullName} and the storage types {string.Join(", ", StorageTypes.Keys.Select(s => "torch." + s))}";

    /// <summary>The admitted global, or a <see cref="InvalidDataException"/> saying why not.</summary>
    public static PyGlobal Resolve(string module, string name, string where)
    {
        var g = new PyGlobal(module, name);
        if (g == OrderedDict || g == RebuildTensor) return g;
        if (module == "torch" && StorageTypes.ContainsKey(name)) return g;
        if (module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal))
            throw TorchFormat.Error($"{where}: the storage type torch.{name} is not read; ContextNets reads {string.Join(", ", StorageTypes.Keys.Select(s => "torch." + s))}.");
        throw TorchFormat.Error($"{where}: the global {Printable(g.FullName)} is not allowed; a state dict needs only {Allowed}.");
    }

    public static bool IsStorageType(PyGlobal g, out string dtype)
    {
        dtype = "";
        return g.Module == "torch" && StorageTypes.TryGetValue(g.Name, out dtype!);
    }

    /// <summary>A name from the file, shortened and with control characters escaped, fit for an error message.</summary>
    public static string Printable(string s)
    {
        var chars = s.Take(80).Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return string.Concat(chars) + (s.Length > 80 ? "..." : "");
    }
}
