using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// The video networks on clips [N, C, T, H, W]: 3-D convs and max pools as Conv and MaxPool over three axes, BN as
/// BatchNormalization (a 3-D conv is never folded with its BN), global average pooling over T, H and W. The NL and GC
/// blocks work on the clip as the modules do: GC on the map [N, C, T*H, W] its forward folds the clip into, NL as
/// <see cref="Attention.NonLocalOnnx"/> writes it for clips.
/// </summary>
internal static class Video
{
    public static OnnxValue Conv(OnnxGraph g, Conv3d conv, string path, OnnxValue x)
    {
        if (x.Rank != 5 || x.Dims[1] != conv.InChannels)
            throw new ArgumentException($"ONNX export at {path}: a 3-D conv of {conv.InChannels} input channels got {x.Shape}.");
        int[] k = [conv.KernelSize.d, conv.KernelSize.h, conv.KernelSize.w], s = [conv.Stride.d, conv.Stride.h, conv.Stride.w],
            p = [conv.Padding.d, conv.Padding.h, conv.Padding.w], d = [conv.Dilation.d, conv.Dilation.h, conv.Dilation.w];
        var dims = new[] { x.Dims[0], conv.OutChannels, 0, 0, 0 };
        for (int i = 0; i < 3; i++)
        {
            dims[i + 2] = (x.Dims[i + 2] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1;
            if (x.Dims[i + 2] + 2 * p[i] < d[i] * (k[i] - 1) + 1)
                throw new ArgumentException($"ONNX export at {path}: input {x.Shape} is too small for a {k[0]}x{k[1]}x{k[2]} conv.");
        }
        var inputs = new List<string> { x.Name, g.Weights(path + ".weight", conv.Weight) };
        if (conv.Bias is not null) inputs.Add(g.Weights(path + ".bias", conv.Bias));
        return g.Op("Conv", path, dims, inputs, OnnxAttr.Ints("kernel_shape", Longs(k)), OnnxAttr.Ints("strides", Longs(s)),
            OnnxAttr.Ints("pads", Longs([.. p, .. p])), OnnxAttr.Ints("dilations", Longs(d)), OnnxAttr.Int("group", conv.Groups));
    }

    /// <summary>A floor-mode max pooling over (T, H, W) with symmetric padding, as F.MaxPool3d.</summary>
    public static OnnxValue MaxPool(OnnxGraph g, string path, OnnxValue x, (int d, int h, int w) kernel, (int d, int h, int w) stride, (int d, int h, int w) padding = default)
    {
        int[] k = [kernel.d, kernel.h, kernel.w], s = [stride.d, stride.h, stride.w], p = [padding.d, padding.h, padding.w];
        var dims = new[] { x.Dims[0], x.Dims[1], 0, 0, 0 };
        for (int i = 0; i < 3; i++) dims[i + 2] = Ops.PooledSize(x.Dims[i + 2], k[i], s[i], p[i], false);
        if (dims.Any(v => v < 1)) throw new ArgumentException($"ONNX export at {path}: input {x.Shape} is too small for a {k[0]}x{k[1]}x{k[2]} pooling.");
        return g.Op("MaxPool", path, dims, [x.Name], OnnxAttr.Ints("kernel_shape", Longs(k)), OnnxAttr.Ints("strides", Longs(s)), OnnxAttr.Ints("pads", Longs([.. p, .. p])));
    }

    public static OnnxValue Net(OnnxGraph g, NonLocalVideoNet net, string path, OnnxValue x)
    {
        Clip(net, x);
        string P(string name) => ModuleEmitter.Join(path, name);
        var c = Children(net);
        x = Ops.Relu(g, P("bn1"), Emit(g, c, "bn1", path, Emit(g, c, "conv1", path, x)));
        x = MaxPool(g, P("maxpool"), x, (1, 3, 3), (1, 2, 2), (0, 1, 1));
        x = Emit(g, c, "layer1", path, x);
        x = MaxPool(g, P("pool2"), x, (2, 1, 1), (2, 1, 1));
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
        var h = Ops.Relu(g, path, Emit(g, c, "bn1", path, Emit(g, c, "conv1", path, x)));
        h = Ops.Relu(g, path, Emit(g, c, "bn2", path, Emit(g, c, "conv2", path, h)));
        h = Emit(g, c, "bn3", path, Emit(g, c, "conv3", path, h));
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
        var pooled = g.Op("GlobalAveragePool", pool, [x.Dims[0], x.Dims[1], 1, 1, 1], [x.Name]);
        var flat = g.Op("Flatten", pool, [x.Dims[0], x.Dims[1]], [pooled.Name], OnnxAttr.Int("axis", 1));
        return Layers.Linear(g, fc, ModuleEmitter.Join(path, "fc"), flat);
    }

    private static void Clip(Module net, OnnxValue x)
    {
        if (x.Rank != 5) throw new ArgumentException($"ONNX export: {net.GetType().Name} takes clips [N, C, T, H, W], not {x.Shape}.");
    }

    private static long[] Longs(int[] values) => Array.ConvertAll(values, v => (long)v);

    private static Dictionary<string, Module> Children(Module m) => m.NamedChildren().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);

    private static OnnxValue Emit(OnnxGraph g, Dictionary<string, Module> children, string name, string path, OnnxValue x) =>
        ModuleEmitter.Emit(g, children[name], ModuleEmitter.Join(path, name), x);
}
