namespace ContextNets.IO.Torch;

/// <summary>
/// Where the state dict is in what a pickle holds: the whole of it (torch.save(model.state_dict())), or one
/// level down in a training checkpoint, under the first of <see cref="WrapperKeys"/> that holds tensors (mmcv and
/// timm write `state_dict`, others `model`). Entries that are not tensors under string keys are set aside.
/// </summary>
internal static class StateDictLocator
{
    public static readonly string[] WrapperKeys = ["state_dict", "model_state_dict", "model", "module"];

    /// <summary>The tensors by key in file order, the path to them ("" for the top level), and the keys set aside.</summary>
    public static (List<KeyValuePair<string, TorchTensor>> tensors, string path, List<string> skipped) Find(object root, string name)
    {
        if (root is not PyDict top)
            throw TorchFormat.Error($"{name}: the pickle holds a {Unpickler.TypeName(root)}, not a state dict (a dict of tensors).");
        if (HasTensors(top)) return Split(top, "");
        foreach (string key in WrapperKeys)
            if (top.TryGet(key, out var inner) && inner is PyDict d && HasTensors(d))
                return Split(d, key);
        var keys = top.Items.Select(kv => kv.Key is string s ? TorchGlobals.Printable(s) : Unpickler.TypeName(kv.Key)).Take(10);
        throw TorchFormat.Error($"{name}: no tensors in the pickle's dict (keys: {string.Join(", ", keys)}) nor under {string.Join(", ", WrapperKeys)}.");
    }

    private static bool HasTensors(PyDict d) => d.Items.Any(kv => kv.Key is string && kv.Value is TorchTensor);

    private static (List<KeyValuePair<string, TorchTensor>>, string, List<string>) Split(PyDict d, string path)
    {
        var tensors = new List<KeyValuePair<string, TorchTensor>>();
        var skipped = new List<string>();
        foreach (var (key, value) in d.Items)
        {
            if (key is string k && value is TorchTensor t) tensors.Add(new(k, t));
            else skipped.Add(key is string s ? TorchGlobals.Printable(s) : $"({Unpickler.TypeName(key)} key)");
        }
        return (tensors, path, skipped);
    }
}
