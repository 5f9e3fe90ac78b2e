using ContextNets.IO;
using ContextNets.Tests.Data;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>A tiny image-folder dataset and the weights of a run's checkpoint, for the distributed training tests.</summary>
internal static class DistributedData
{
    /// <summary>8x8 PNGs in three colours with noise: train/ and val/ with one folder per class.</summary>
    public static string ImageFolder(TempDir tmp, int trainPerClass, int valPerClass)
    {
        var rng = new Random(5);
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("val", valPerClass) })
            foreach (var (name, rgb) in new[] { ("red", new byte[] { 200, 30, 30 }), ("green", new byte[] { 40, 190, 50 }), ("blue", new byte[] { 30, 60, 210 }) })
                for (int i = 0; i < count; i++)
                {
                    var px = new byte[8 * 8 * 3];
                    for (int k = 0; k < px.Length; k++) px[k] = (byte)Math.Clamp(rgb[k % 3] + rng.Next(-60, 61), 0, 255);
                    tmp.Write(Path.Combine("images", split, name, $"{i:D3}.png"), Png.Encode(px, 8, 8, 3));
                }
        return tmp.File("images");
    }

    /// <summary>The tensors of the run's last checkpoint (model state dict), by name.</summary>
    public static Dictionary<string, float[]> LastWeights(string run)
    {
        var file = SafetensorsFile.Read(Checkpoint.ModelPath(run, Trainer.Last));
        using var scope = Tensor.Scope();
        return file.Keys.ToDictionary(k => k, k => file.Load(k).ToArray());
    }
}
