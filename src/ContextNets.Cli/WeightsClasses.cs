using ContextNets.IO;
using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// The class count a weights file was saved with. The tensors that depend on it are found by building the model's
/// skeleton at two class counts and comparing shapes, so no model kind needs to say where its classifier is.
/// </summary>
internal static class WeightsClasses
{
    /// <summary>The count the file's class-dependent tensors give, or null (the model's default) when it holds none of them under the model's keys.</summary>
    public static int? Read(string model, string path)
    {
        using var skip = Initializers.SkipRandom();
        int defaults = ModelCatalog.DefaultClasses(model);
        Dictionary<string, Shape> one, other;
        using (var a = ModelCatalog.Create(model, defaults, null)) one = a.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        using (var b = ModelCatalog.Create(model, defaults + 1, null)) other = b.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        var source = StateDictFiles.Open(path);
        try
        {
            foreach (var (key, shape) in one)
            {
                if (shape == other[key] || !source.Contains(key)) continue;
                var stored = source.ShapeOf(key);
                int axis = Enumerable.Range(0, shape.Rank).First(d => shape[d] != other[key][d]);
                if (stored.Rank == shape.Rank) return stored[axis];
            }
            return null;
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }
}
