using ContextNets.Attention;
using ContextNets.Models;
using ContextNets.Models.Segmentation;
using ContextNets.Models.Video;
using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// Writes a module's eval-mode forward into the graph, by the module's type: the forward of a module is code, so
/// each kind the library has gets an emitter that mirrors it; an attention block brings its own
/// (<see cref="IBlockFacets.EmitOnnx"/>). Anything else is refused with its type and path.
/// </summary>
internal static class ModuleEmitter
{
    public static OnnxValue Emit(OnnxGraph g, Module module, string path, OnnxValue x) => module switch
    {
        ResNet net => ResNetEmitter.Emit(g, net, path, x),
        Segmenter net => SegmenterEmitter.Emit(g, net, path, x),
        Aspp aspp => SegmenterEmitter.Aspp(g, aspp, path, x),
        CcNetHead head => SegmenterEmitter.CcNet(g, head, path, x),
        ActivatedBatchNorm2d abn => SegmenterEmitter.ActivatedBatchNorm(g, abn, path, x),
        SameAvgPool2d => SegmenterEmitter.SameAvgPool(g, path, Spatial(path, x)),
        Dropout => x,
        ResidualBlock block => ResNetEmitter.Block(g, block, path, x),
        Sequential seq => Sequence.Emit(g, Sequence.Flatten(seq, path), x),
        ConvNormAct cna => Sequence.ConvNormAct(g, cna, path, x),
        Conv2d conv => Layers.Conv(g, conv, path, null, x),
        BatchNorm bn => Layers.BatchNorm(g, bn, path, x),
        Conv3d conv => Layers3d.Conv(g, conv, path, null, x),
        MaxPool3d pool => Layers3d.MaxPool(g, path, x, pool.Kernel, pool.Stride, pool.Padding),
        AvgPool3d pool => Layers3d.AveragePool(g, path, x, pool.Kernel, pool.Stride, pool.Padding, pool.CountIncludePad),
        GlobalAvgPool3d => Layers3d.GlobalAveragePool(g, path, x),
        NonLocalVideoNet net => Video.Net(g, net, path, x),
        VideoResNet net => Video.Net(g, net, path, x),
        VideoBasicBlock block => Video.Block(g, block, path, x),
        VideoBottleneck block => Video.Block(g, block, path, x),
        LayerNorm2d ln => Layers.LayerNorm(g, ln.Weight, ln.Bias, ln.Eps, path, x),
        Linear fc => Layers.Linear(g, fc, path, x),
        MaxPool2d pool => Ops.MaxPool(g, path, Spatial(path, x), pool.Kernel, pool.Stride, pool.Padding),
        AvgPool2d pool => Ops.AveragePool(g, path, Spatial(path, x), pool.Kernel, pool.Stride, pool.Padding, pool.CountIncludePad, pool.CeilMode),
        Lambda fn => Function(g, fn, path, x),
        IBlockFacets block => block.EmitOnnx(g, path, x),
        _ => throw Unsupported(module, path),
    };

    public static NotSupportedException Unsupported(Module module, string path) =>
        new($"ONNX export does not know how to write {module.GetType().Name} (at '{(path.Length == 0 ? "the top" : path)}'). It writes ResNet and its blocks, " +
            $"the attention blocks ({Blocks.Names}), " +
            "the video networks, the segmenters, Sequential, Conv2d, Conv3d, BatchNorm2d/3d, LayerNorm2d, Linear, MaxPool2d/3d, AvgPool2d/3d, GlobalAvgPool3d and the ReLU, sigmoid and identity Lambdas.");

    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static OnnxValue Function(OnnxGraph g, Lambda fn, string path, OnnxValue x) => fn.Kind switch
    {
        "relu" => Ops.Relu(g, path, x),
        "sigmoid" => Ops.Sigmoid(g, path, x),
        "identity" => x,
        "global_avg_pool" => Ops.GlobalAveragePool(g, path, Spatial(path, x)),
        _ => throw new NotSupportedException($"ONNX export cannot write the Lambda at '{path}': it wraps an arbitrary function; only Lambda.Relu(), Lambda.Sigmoid(), Lambda.Identity() and ASPP's global average pool are known."),
    };

    private static OnnxValue Spatial(string path, OnnxValue x) =>
        x.Rank == 4 ? x : throw new ArgumentException($"ONNX export at {path}: a 2-D pooling needs [N, C, H, W], got {x.Shape}.");
}
