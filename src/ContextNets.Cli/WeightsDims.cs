using ContextNets.IO;
using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// The class count and input channels a weights file was saved with, and the tensors that depend on the class count
/// (the classifier). Found by building the model's skeleton at two sizes and comparing shapes, so no model kind needs
/// to say where its classifier or its first conv is.
/// </summary>
internal static class WeightsDims
{
    /// <summary>The count the file's class-dependent tensors give, or null (the model's default) when it holds none of them under the model's keys.</summary>
    public static int? Classes(string model, string path) => Read(model, path, ClassDependent(model));

    /// <summary>The input channels the file's first conv gives, or null when it holds no channel-dependent tensor under the model's keys.</summary>
    public static int? InChannels(string model, string path)
    {
        var e = Zoo.Entry(model);
        return Read(model, path, Differing(Shapes(model, e.DefaultClasses, e.DefaultInChannels), Shapes(model, e.DefaultClasses, e.DefaultInChannels + 1)));
    }

    /// <summary>The model's tensors whose shape follows the class count (its classifier's), with the axis that does.</summary>
    public static IReadOnlyDictionary<string, int> ClassDependent(string model)
    {
        int classes = ModelCatalog.DefaultClasses(model);
        return Differing(Shapes(model, classes, null), Shapes(model, classes + 1, null));
    }

    private static int? Read(string model, string path, IReadOnlyDictionary<string, int> dependent)
    {
        var own = Shapes(model, ModelCatalog.DefaultClasses(model), null);
        var source = StateDictFiles.Open(path);
        try
        {
            foreach (var (key, axis) in dependent)
                if (source.Contains(key) && source.ShapeOf(key) is var stored && stored.Rank == own[key].Rank) return stored[axis];
            return null;
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }

    // Any catalog model (zoo, video, segmenter); null channels are the model's default.
    private static Dictionary<string, Shape> Shapes(string model, int classes, int? channels)
    {
        using var skip = Initializers.SkipRandom();
        using var m = ModelCatalog.Create(model, classes, channels);
        return m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
    }

    private static Dictionary<string, int> Differing(Dictionary<string, Shape> one, Dictionary<string, Shape> other) =>
        one.Where(kv => kv.Value != other[kv.Key]).ToDictionary(kv => kv.Key, kv => Enumerable.Range(0, kv.Value.Rank).First(d => kv.Value[d] != other[kv.Key][d]));
}
