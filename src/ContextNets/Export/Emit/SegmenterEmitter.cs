using ContextNets.Models;
using ContextNets.Models.Segmentation;
using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// The segmenters (<see cref="Segmenter"/>): the dilated body's last stage, the head (FCNHead and DeepLabHead are
/// Sequentials; ASPP and CCNet's head have their own forwards, written here), and the scores resized bilinearly to the
/// input's size as torch.onnx writes F.interpolate(align_corners=False): Resize, linear, pytorch_half_pixel. The graph
/// gives `out` only: the aux head is a training aid, and a graph has one output here.
/// </summary>
internal static class SegmenterEmitter
{
    public static OnnxValue Emit(OnnxGraph g, Segmenter model, string path, OnnxValue x)
    {
        var features = ResNetEmitter.Stages(g, model.Backbone, ModuleEmitter.Join(path, "backbone"), x)[^1];
        var scores = ModuleEmitter.Emit(g, model.Classifier, ModuleEmitter.Join(path, "classifier"), features);
        return Resize(g, ModuleEmitter.Join(path, "upsample"), scores, x.Dims[2], x.Dims[3]);
    }

    /// <summary>torchvision's ASPP: the five branches over the same map (the pooled one spread back by a Resize from 1x1), their concatenation, the projection.</summary>
    public static OnnxValue Aspp(OnnxGraph g, Aspp aspp, string path, OnnxValue x)
    {
        var children = Children(aspp);
        var convs = (Sequential)children["convs"];
        string branches = ModuleEmitter.Join(path, "convs");
        var outputs = new List<OnnxValue>(convs.Count);
        for (int i = 0; i < convs.Count; i++)
        {
            string at = ModuleEmitter.Join(branches, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var branch = ModuleEmitter.Emit(g, convs[i], at, x);
            outputs.Add(i == convs.Count - 1 ? Resize(g, at, branch, x.Dims[2], x.Dims[3]) : branch);
        }
        int channels = outputs.Sum(o => o.Dims[1]);
        var cat = g.Op("Concat", path, [x.Dims[0], channels, x.Dims[2], x.Dims[3]], outputs.Select(o => o.Name), OnnxAttr.Int("axis", 1));
        return ModuleEmitter.Emit(g, children["project"], ModuleEmitter.Join(path, "project"), cat);
    }

    /// <summary>CCNet's head: conva, the criss-cross module (its emitter writes every pass), convb, then the bottleneck over concat(input, convb).</summary>
    public static OnnxValue CcNet(OnnxGraph g, CcNetHead head, string path, OnnxValue x)
    {
        var children = Children(head);
        OnnxValue Child(string name, OnnxValue input) => ModuleEmitter.Emit(g, children[name], ModuleEmitter.Join(path, name), input);
        var context = Child("convb", Child("cca", Child("conva", x)));
        var cat = g.Op("Concat", path, [x.Dims[0], x.Dims[1] + context.Dims[1], x.Dims[2], x.Dims[3]], [x.Name, context.Name], OnnxAttr.Int("axis", 1));
        return Child("bottleneck", cat);
    }

    /// <summary>inplace_abn's ABN in eval: BatchNormalization on the running statistics, then LeakyRelu.</summary>
    public static OnnxValue ActivatedBatchNorm(OnnxGraph g, ActivatedBatchNorm2d abn, string path, OnnxValue x) =>
        g.Op("LeakyRelu", path, x.Dims, [Layers.BatchNorm(g, abn, path, x).Name], OnnxAttr.Float("alpha", abn.Slope));

    /// <summary>
    /// timm's AvgPool2dSame(2, stride 1) as <see cref="SameAvgPool2d"/> computes it: a 2x2 average over the map padded by
    /// one on every side (padding counted), without its first row and column.
    /// </summary>
    public static OnnxValue SameAvgPool(OnnxGraph g, string path, OnnxValue x)
    {
        var pooled = Ops.AveragePool(g, path, x, 2, 1, 1, countIncludePad: true, ceilMode: false);
        int h = x.Dims[2], w = x.Dims[3];
        return g.Op("Slice", path, x.Dims, [pooled.Name, g.Int64s(1, 1), g.Int64s(h + 1, w + 1), g.Int64s(2, 3)]);
    }

    /// <summary>
    /// Bilinear resizing of [N, C, h, w] to [N, C, <paramref name="height"/>, <paramref name="width"/>] with PyTorch's
    /// align_corners=False coordinates (pytorch_half_pixel: source = (dst + 0.5) * in / out - 0.5, clamped at the edges).
    /// The sizes are x's own N and C (read by Shape, so that a symbolic batch stays symbolic) and the fixed output side.
    /// </summary>
    public static OnnxValue Resize(OnnxGraph g, string path, OnnxValue x, int height, int width)
    {
        var shape = g.Op("Shape", path, [x.Rank], [x.Name]);
        var batchAndChannels = g.Op("Slice", path, [2], [shape.Name, g.Int64s(0), g.Int64s(2), g.Int64s(0)]);
        var sizes = g.Op("Concat", path, [4], [batchAndChannels.Name, g.Int64s(height, width)], OnnxAttr.Int("axis", 0));
        return g.Op("Resize", path, [x.Dims[0], x.Dims[1], height, width], [x.Name, "", "", sizes.Name],
            OnnxAttr.String("mode", "linear"), OnnxAttr.String("coordinate_transformation_mode", "pytorch_half_pixel"));
    }

    private static Dictionary<string, Module> Children(Module m) => m.NamedChildren().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
}
