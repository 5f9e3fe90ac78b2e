using ContextNets.NN;

namespace ContextNets.Detection.Backbone;

/// <summary>
/// torchvision's FeaturePyramidNetwork with LastLevelMaxPool: a 1x1 lateral conv per input level
/// (`inner_blocks.i.0`), a top-down path adding each coarser level upsampled (nearest) to the next finer one, a 3x3
/// conv per level (`layer_blocks.i.0`), and a fifth level "pool" subsampled from the coarsest output (max pool,
/// kernel 1, stride 2). Outputs come finest first: P2..P5 and P6.
/// </summary>
public sealed class FeaturePyramid : Module
{
    private readonly Sequential _inner;
    private readonly Sequential _layer;

    public FeaturePyramid(IReadOnlyList<int> inChannels, int outChannels = 256)
    {
        _inner = Register("inner_blocks", new Sequential());
        _layer = Register("layer_blocks", new Sequential());
        foreach (int c in inChannels)
        {
            _inner.Add(new Sequential(new Conv2d(c, outChannels, 1)));
            _layer.Add(new Sequential(new Conv2d(outChannels, outChannels, 3, padding: 1)));
        }
        OutChannels = outChannels;
    }

    public int OutChannels { get; }

    /// <summary>The names torchvision gives the levels: "0".."3" and "pool".</summary>
    public static IReadOnlyList<string> LevelNames { get; } = ["0", "1", "2", "3", "pool"];

    public override Tensor Forward(Tensor x) => throw new NotSupportedException("The FPN takes one map per level: call ForwardLevels.");

    /// <summary>The pyramid of <paramref name="levels"/> (finest first): one output per level, then "pool".</summary>
    public Tensor[] ForwardLevels(IReadOnlyList<Tensor> levels)
    {
        if (levels.Count != _inner.Count) throw new ArgumentException($"The FPN was built for {_inner.Count} levels, got {levels.Count}.");
        var results = new Tensor[levels.Count + 1];
        var last = _inner[^1].Forward(levels[^1]);
        results[levels.Count - 1] = _layer[^1].Forward(last);
        for (int i = levels.Count - 2; i >= 0; i--)
        {
            var lateral = _inner[i].Forward(levels[i]);
            last = F.Add(lateral, F.UpsampleNearest(last, lateral.Shape[2], lateral.Shape[3]));
            results[i] = _layer[i].Forward(last);
        }
        results[^1] = F.MaxPool2d(results[levels.Count - 1], 1, 2);
        return results;
    }
}
