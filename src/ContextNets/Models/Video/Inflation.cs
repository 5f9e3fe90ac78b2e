using ContextNets.NN;

namespace ContextNets.Models.Video;

/// <summary>
/// Initializes a video network from a 2-D checkpoint of the same ResNet under the same keys (a zoo resnet50's state
/// dict into c2d_resnet50 or an I3D), as the Non-local paper initializes from ImageNet: a 2-D kernel [O, I, kH, kW]
/// becomes the 3-D [O, I, kT, kH, kW] by repeating it over t and dividing by kT, so that a clip of one frame
/// repeated (a static clip) gives each frame the 2-D response away from the clip's temporal borders; everything
/// else is copied. Blocks the 2-D network lacks (NL, GC) keep their own, identity-starting initialization.
/// </summary>
public static class Inflation
{
    /// <summary>Inflates <paramref name="source"/> into <paramref name="target"/>; returns the target keys the source had nothing for.</summary>
    public static IReadOnlyList<string> Inflate(IReadOnlyDictionary<string, Tensor> source, Module target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var missing = new List<string>();
        foreach (var (key, t) in target.NamedParameters().Concat(target.NamedBuffers()))
        {
            if (!source.TryGetValue(key, out var s))
            {
                missing.Add(key);
                continue;
            }
            var to = t.Shape;
            var from = s.Shape;
            bool inflate = to.Rank == 5 && from.Rank == 4;
            if (inflate ? from != new Shape(to[0], to[1], to[3], to[4]) : from != to)
                throw new ArgumentException($"Inflation: '{key}' is {from} in the 2-D checkpoint and {to} in the video network; they are not the same layer.");
            var values = s.ToArray();
            var span = t.Span;
            if (!inflate) values.CopyTo(span);
            else Repeat(values, span, to[2], to[3] * to[4]);
            t.Touch();
        }
        return missing;
    }

    // [O*I, kH*kW] -> [O*I, kT, kH*kW], each copy divided by kT.
    private static void Repeat(float[] kernel, Span<float> inflated, int kt, int plane)
    {
        for (int oi = 0; oi < kernel.Length / plane; oi++)
        for (int t = 0; t < kt; t++)
        for (int p = 0; p < plane; p++)
            inflated[(oi * kt + t) * plane + p] = kernel[oi * plane + p] / kt;
    }
}
