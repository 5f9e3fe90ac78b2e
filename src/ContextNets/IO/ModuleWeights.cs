using ContextNets.NN;

namespace ContextNets.IO;

/// <summary>
/// A module's state dict as a safetensors file under its timm/torchvision keys: what
/// `safetensors.torch.save_file(model.state_dict(), path)` writes and `load_file` reads.
/// </summary>
public static class ModuleWeights
{
    /// <summary>
    /// Loads parameters and buffers by key. Tensors stored as F16, BF16, F64 or I64 are converted to float32, and
    /// PyTorch's `num_batches_tracked` counters are ignored. Strict loading throws on any missing or unexpected key;
    /// otherwise the report lists them. A tensor whose shape differs from the model's is always an error naming
    /// the key and both shapes, and then nothing has been copied.
    /// </summary>
    public static LoadReport Load(this Module model, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = SafetensorsFile.Read(path);
        var own = model.StateDict();
        // Only the keys the model has are converted; the others need their names alone for the report.
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var key in file.Keys)
                tensors[key] = own.ContainsKey(key) ? file.Load(key) : Placeholder.Value;
            return model.LoadStateDict(tensors, strict);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        finally
        {
            foreach (var t in tensors.Values)
                if (!ReferenceEquals(t, Placeholder.Value)) t.Dispose();
        }
    }

    /// <summary>Writes every parameter and buffer as float32 under its dotted key, atomically (a whole file or the old one).</summary>
    public static void Save(this Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        SafetensorsFile.Write(path, model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
    }

    // Stands in for the value of a key the model does not have: LoadStateDict only reports such keys.
    private static readonly Lazy<Tensor> Placeholder = new(() => Tensor.EmptyUnscoped(new Shape(1)));
}
