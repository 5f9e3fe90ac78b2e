using ContextNets.IO.Mapping;
using ContextNets.NN;

namespace ContextNets.IO;

/// <summary>
/// A module's state dict in a file: safetensors under timm/torchvision keys (what
/// `safetensors.torch.save_file(model.state_dict(), path)` writes), or a torch.save file, with the keys of
/// another convention (mmcv, the official ResNeSt) mapped onto the model's.
/// </summary>
public static class ModuleWeights
{
    /// <summary>
    /// Loads parameters and buffers from a safetensors or torch.save file (told apart by their first bytes), mapping
    /// the file's keys by <paramref name="convention"/> (detected from the keys by default; see <see cref="KeyRules"/>).
    /// Tensors stored as F16, BF16, F64 or I64 are converted to float32, and PyTorch's `num_batches_tracked` counters
    /// are ignored. Strict loading throws on any missing or unexpected key; otherwise the report lists them, with the
    /// convention and every key's mapping. A tensor whose shape differs from the model's is always an error naming the
    /// key and both shapes, and then nothing has been copied; so is a NaN or infinite value, or a negative BatchNorm
    /// running_var (<see cref="WeightValues"/>).
    /// </summary>
    public static LoadReport Load(this Module model, string path, bool strict = true, KeyConvention convention = KeyConvention.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        var source = StateDictFiles.Open(path);
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            var own = model.StateDict();
            var map = KeyMapper.Map([.. source.Keys.Select(k => (k, source.ShapeOf(k)))], own.ToDictionary(kv => kv.Key, kv => kv.Value.Shape), convention);
            var report = new LoadReport(map.Missing, map.Unused) { Source = StateDictFiles.Describe(source), Convention = map.Describe(), Mapping = map.Entries };
            if (strict && !report.IsComplete)
                throw new InvalidDataException($"{model.GetType().Name}: the state dict does not match ({map.Describe()} keys). {report}");
            foreach (var e in map.Entries)
            {
                if (e is not { Target: { } target, TargetShape: { } shape }) continue;
                var t = source.Load(e.Source);
                if (e.Reshaped)
                {
                    using (t) tensors[target] = Tensor.FromArray(t.ToArray(), shape);
                }
                else tensors[target] = t;
            }
            WeightValues.Check(tensors);
            model.LoadStateDict(tensors, strict: false);
            return report;
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
            (source as IDisposable)?.Dispose();
        }
    }

    /// <summary>Writes every parameter and buffer as float32 under its dotted key, atomically (a whole file or the old one).</summary>
    public static void Save(this Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        SafetensorsFile.Write(path, model.StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
    }
}
