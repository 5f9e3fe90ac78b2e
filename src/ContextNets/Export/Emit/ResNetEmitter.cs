using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// The ResNet family: the stem (conv1 or the deep stem's Sequential, bn1, ReLU, the max pool), the stages' residual
/// blocks, global average pooling, Flatten and the classifier as a Gemm.
/// </summary>
internal static class ResNetEmitter
{
    public static OnnxValue Emit(OnnxGraph g, ResNet net, string path, OnnxValue x)
    {
        x = Stages(g, net, path, x)[^1];
        string P(string name) => ModuleEmitter.Join(path, name);
        var pooled = Ops.GlobalAveragePool(g, P("global_pool"), x);
        var flat = g.Op("Flatten", P("global_pool"), [x.Dims[0], x.Dims[1]], [pooled.Name], OnnxAttr.Int("axis", 1));
        var fc = net.Classifier ?? throw new ArgumentException("ONNX export: this ResNet is a headless body (0 classes); export the model that holds it.");
        return Layers.Linear(g, fc, P("fc"), flat);
    }

    /// <summary>The stem and the stages: the map after each stage (timm's feature maps 1..N), as a segmenter's body gives them.</summary>
    public static List<OnnxValue> Stages(OnnxGraph g, ResNet net, string path, OnnxValue x)
    {
        if (x.Rank != 4 || x.Dims[1] != net.Config.InChannels)
            throw new ArgumentException($"ONNX export: the ResNet takes images [N, {net.Config.InChannels}, H, W], not {x.Shape}.");
        string P(string name) => ModuleEmitter.Join(path, name);
        // The deep stem's last conv and the top-level bn1 are a conv-BN pair, so the stem is one chain.
        var stem = net.StemConv is Sequential deep
            ? deep.NamedChildren().Select(s => new Layer(P("conv1." + s.name), s.module)).ToList()
            : [new Layer(P("conv1"), net.StemConv)];
        stem.Add(new Layer(P("bn1"), net.StemNorm, Relu: true));
        if (net.StemPool is { } pool) stem.Add(new Layer(P("maxpool"), pool));
        x = Sequence.Emit(g, stem, x);
        var maps = new List<OnnxValue>(net.Stages.Count);
        for (int s = 0; s < net.Stages.Count; s++)
        {
            foreach (var (name, block) in net.Stages[s].NamedChildren())
                x = Block(g, (ResidualBlock)block, P($"layer{s + 1}.{name}"), x);
            maps.Add(x);
        }
        return maps;
    }

    /// <summary>
    /// ReLU(branch(x) + shortcut(x)), then the after-block module (non-local). The branch is the block's layers in
    /// registration order, which is its forward's order; in the basic and bottleneck blocks every conv-BN pair but the
    /// last is followed by a ReLU, and the other layers (split attention, selective kernels, ConvNormAct) carry their own.
    /// </summary>
    public static OnnxValue Block(OnnxGraph g, ResidualBlock block, string path, OnnxValue x)
    {
        if (block is not (BasicBlock or Bottleneck or SelectiveKernelBasic or SelectiveKernelBottleneck))
            throw ModuleEmitter.Unsupported(block, path);
        var branch = block.NamedChildren()
            .Where(c => !ReferenceEquals(c.module, block.Downsample) && !ReferenceEquals(c.module, block.AfterBlock))
            .Select(c => new Layer(ModuleEmitter.Join(path, c.name), c.module)).ToList();
        var norms = Enumerable.Range(1, branch.Count - 1).Where(i => branch[i].Module is BatchNorm2d && branch[i - 1].Module is Conv2d).ToList();
        foreach (int i in norms.SkipLast(1)) branch[i] = branch[i] with { Relu = true };
        var y = Sequence.Emit(g, branch, x);
        var shortcut = block.Downsample is { } down ? ModuleEmitter.Emit(g, down, ModuleEmitter.Join(path, "downsample"), x) : x;
        if (!y.Dims.SequenceEqual(shortcut.Dims))
            throw new InvalidOperationException($"ONNX export at {path}: the branch gives {y.Shape} and the shortcut {shortcut.Shape}.");
        var z = Ops.Relu(g, path, Ops.Binary(g, "Add", path, y, shortcut));
        return block.AfterBlock is { } after ? ModuleEmitter.Emit(g, after, ModuleEmitter.Join(path, "non_local_block"), z) : z;
    }
}
