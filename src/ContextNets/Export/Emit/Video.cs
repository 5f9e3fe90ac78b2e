using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// The video networks on clips [N, C, T, H, W] (<see cref="Layers3d"/> writes their 3-D layers; each BN after a 3-D
/// conv is folded into it when the graph folds, as in the 2-D networks). The NL and GC
/// blocks work on the clip as the modules do: GC on the map [N, C, T*H, W] its forward folds the clip into, NL as
/// <see cref="Attention.NonLocalOnnx"/> writes it for clips.
/// </summary>
internal static class Video
{
    public static OnnxValue Net(OnnxGraph g, NonLocalVideoNet net, string path, OnnxValue x)
    {
        Clip(net, x);
        string P(string name) => ModuleEmitter.Join(path, name);
        var c = Children(net);
        x = ConvBn(g, c, "conv1", "bn1", path, x, relu: true);
        x = Layers3d.MaxPool(g, P("maxpool"), x, (1, 3, 3), (1, 2, 2), (0, 1, 1));
        x = Emit(g, c, "layer1", path, x);
        x = Layers3d.MaxPool(g, P("pool2"), x, (2, 1, 1), (2, 1, 1));
        for (int s = 2; s <= 4; s++) x = Emit(g, c, $"layer{s}", path, x);
        return Head(g, (Linear)c["fc"], path, x);
    }

    public static OnnxValue Net(OnnxGraph g, VideoResNet net, string path, OnnxValue x)
    {
        Clip(net, x);
        var c = Children(net);
        foreach (var name in new[] { "stem", "layer1", "layer2", "layer3", "layer4" }) x = Emit(g, c, name, path, x);
        return Head(g, (Linear)c["fc"], path, x);
    }

    /// <summary>ReLU(conv2(conv1(x)) + shortcut(x)); conv1 and conv2 are Sequentials of conv, BN and ReLU.</summary>
    public static OnnxValue Block(OnnxGraph g, VideoBasicBlock block, string path, OnnxValue x)
    {
        var c = Children(block);
        var branch = Emit(g, c, "conv2", path, Emit(g, c, "conv1", path, x));
        var shortcut = c.ContainsKey("downsample") ? Emit(g, c, "downsample", path, x) : x;
        return Ops.Relu(g, path, Ops.Binary(g, "Add", path, branch, shortcut));
    }

    /// <summary>The bottleneck's forward: three conv-BN pairs (ReLU after the first two), GC on the folded clip, the sum, ReLU, then NL.</summary>
    public static OnnxValue Block(OnnxGraph g, VideoBottleneck block, string path, OnnxValue x)
    {
        var c = Children(block);
        var h = ConvBn(g, c, "conv1", "bn1", path, x, relu: true);
        h = ConvBn(g, c, "conv2", "bn2", path, h, relu: true);
        h = ConvBn(g, c, "conv3", "bn3", path, h, relu: false);
        if (c.ContainsKey("gc"))
        {
            int[] clip = h.Dims;
            var folded = Ops.Reshape(g, ModuleEmitter.Join(path, "gc"), h, clip[0], clip[1], clip[2] * clip[3], clip[4]);
            h = Ops.Reshape(g, ModuleEmitter.Join(path, "gc"), Emit(g, c, "gc", path, folded), clip);
        }
        var shortcut = c.ContainsKey("downsample") ? Emit(g, c, "downsample", path, x) : x;
        var y = Ops.Relu(g, path, Ops.Binary(g, "Add", path, h, shortcut));
        return c.ContainsKey("nl") ? Emit(g, c, "nl", path, y) : y;
    }

    private static OnnxValue Head(OnnxGraph g, Linear fc, string path, OnnxValue x)
    {
        string pool = ModuleEmitter.Join(path, "global_pool");
        var pooled = Layers3d.GlobalAveragePool(g, pool, x);
        var flat = g.Op("Flatten", pool, [x.Dims[0], x.Dims[1]], [pooled.Name], OnnxAttr.Int("axis", 1));
        return Layers.Linear(g, fc, ModuleEmitter.Join(path, "fc"), flat);
    }

    private static void Clip(Module net, OnnxValue x)
    {
        if (x.Rank != 5) throw new ArgumentException($"ONNX export: {net.GetType().Name} takes clips [N, C, T, H, W], not {x.Shape}.");
    }

    private static Dictionary<string, Module> Children(Module m) => m.NamedChildren().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);

    private static OnnxValue ConvBn(OnnxGraph g, Dictionary<string, Module> children, string conv, string bn, string path, OnnxValue x, bool relu) =>
        Layers3d.ConvBn(g, (Conv3d)children[conv], ModuleEmitter.Join(path, conv), (BatchNorm3d)children[bn], ModuleEmitter.Join(path, bn), x, relu);

    private static OnnxValue Emit(OnnxGraph g, Dictionary<string, Module> children, string name, string path, OnnxValue x) =>
        ModuleEmitter.Emit(g, children[name], ModuleEmitter.Join(path, name), x);
}
