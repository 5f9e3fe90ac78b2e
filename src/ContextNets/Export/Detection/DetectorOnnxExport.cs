using ContextNets.Detection;
using ContextNets.Detection.Backbone;
using ContextNets.Detection.Transform;
using ContextNets.Export.Emit;
using ContextNets.Export.Proto;
using ContextNets.IO;
using ContextNets.NN;
using Google.Protobuf;

namespace ContextNets.Export.Detection;

/// <summary>
/// ONNX export of a Mask R-CNN in inference, for one image of a size fixed at export: input `x` [3, H, W] in [0, 1],
/// outputs `boxes` [N, 4], `scores` [N], `labels` [N] (int64) and `masks` [N, 1, H, W] (probabilities pasted into
/// the image), the names and meanings of <see cref="MaskRcnn.Run"/>. N is symbolic ("detections"). The graph follows
/// <see cref="MaskRcnn.Detect"/> stage by stage: the transform (normalization, Resize to the detector's size, Pad to
/// 32), body and FPN, <see cref="RpnGraph"/>, <see cref="RoiHeadsGraph"/>, boxes scaled back to the input's size and
/// <see cref="MaskPasteGraph"/>.
/// </summary>
public static class DetectorOnnxExport
{
    private const string Input = "x";

    /// <summary>Writes the detector's graph to <paramref name="path"/> atomically; throws before writing anything when it cannot be exported.</summary>
    public static DetectorOnnxSummary ExportOnnx(this MaskRcnn model, string path, DetectorOnnxOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (proto, summary) = Build(model, options);
        AtomicFile.Write(path, s => s.Write(proto.ToByteArray()));
        return summary;
    }

    internal static (ModelProto model, DetectorOnnxSummary summary) Build(MaskRcnn model, DetectorOnnxOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        OnnxOpsets.Check(options.Opset);
        int height = options.Height, width = options.Width;
        if (height < 1 || width < 1) throw new ArgumentException($"The detector's ONNX input must have a positive size, not {height}x{width}.");
        var resized = model.Transform.ResizedSize(height, width);
        if (resized.h < 1 || resized.w < 1)
            throw new ArgumentException($"A {height}x{width} image is too elongated to resize to a short side of {model.Transform.MinSize} within {model.Transform.MaxSize}.");
        var padded = (h: RoundUp(resized.h), w: RoundUp(resized.w));

        var g = new OnnxGraph(options.Opset, foldBatchNorm: true);
        var x = g.Input(Input, [3, height, width]);
        var batch = Transform(g, x, (height, width), resized, padded);
        var levels = Pyramid(g, model.Backbone, batch);
        var proposals = RpnGraph.Propose(g, model.Rpn, levels, padded, resized);
        var (boxes, scores, labels) = RoiHeadsGraph.Detect(g, model.RoiHeads, levels[..4], proposals, resized);
        var masks = RoiHeadsGraph.Masks(g, model.RoiHeads, levels[..4], boxes, labels, resized.h);
        float ry = (float)height / resized.h, rx = (float)width / resized.w;
        var scaled = GraphOps.Elementwise(g, "Mul", "postprocess", boxes, GraphOps.Floats(g, "postprocess.box_scale", [rx, ry, rx, ry], 4));
        var pasted = MaskPasteGraph.Paste(g, masks, scaled, height, width);

        var graph = new GraphProto { Name = options.GraphName, DocString = $"{nameof(MaskRcnn)} in inference for one {height}x{width} image, batch norm folded into the convolutions." };
        graph.Input.Add(ValueInfo(Input, (int)TensorProto.Types.DataType.Float, x.Dims));
        foreach (var (name, value, type) in new[]
        {
            (Models.Outputs.OutputNames.Boxes, scaled, TensorProto.Types.DataType.Float), (Models.Outputs.OutputNames.Scores, scores, TensorProto.Types.DataType.Float),
            (Models.Outputs.OutputNames.Labels, labels, TensorProto.Types.DataType.Int64), (Models.Outputs.OutputNames.Masks, pasted, TensorProto.Types.DataType.Float),
        })
        {
            var identity = new NodeProto { OpType = "Identity", Name = "output/" + name };
            identity.Input.Add(value.Name);
            identity.Output.Add(name);
            g.Nodes.Add(identity);
            graph.Output.Add(ValueInfo(name, (int)type, value.Dims));
        }
        graph.Node.AddRange(g.Nodes);
        graph.Initializer.AddRange(g.Initializers);
        var proto = OnnxExport.Model(graph, options.Opset, options.Metadata);
        var summary = new DetectorOnnxSummary(options.Opset, proto.IrVersion, height, width, resized, padded, g.Nodes.Count, g.Initializers.Count,
            g.InitializerBytes, proto.CalculateSize(),
            g.Nodes.GroupBy(n => n.OpType).OrderBy(o => o.Key, StringComparer.Ordinal).ToDictionary(o => o.Key, o => o.Count()));
        return (proto, summary);
    }

    /// <summary>A graph input or output: its element type and dims, <see cref="GraphOps.Dynamic"/> dims written as the symbol "detections".</summary>
    internal static ValueInfoProto ValueInfo(string name, int elementType, int[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (int d in dims)
            shape.Dim.Add(d == GraphOps.Dynamic ? new TensorShapeProto.Types.Dimension { DimParam = "detections" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } } };
    }

    /// <summary>
    /// ImageTransform.Apply on one image: (x - mean) / std per channel, a bilinear Resize to the detector's size
    /// (PyTorch's coordinates: half_pixel, clamped at the edges) unless it is the input's, zeros padded at the bottom
    /// and right to a multiple of 32. Gives [1, 3, padded H, padded W].
    /// </summary>
    private static OnnxValue Transform(OnnxGraph g, OnnxValue x, (int h, int w) input, (int h, int w) resized, (int h, int w) padded)
    {
        const string scope = "transform";
        var centred = GraphOps.Elementwise(g, "Sub", scope, x, GraphOps.Floats(g, "transform.mean", [.. ImageTransform.Mean], 3, 1, 1));
        var normalized = GraphOps.Elementwise(g, "Div", scope, centred, GraphOps.Floats(g, "transform.std", [.. ImageTransform.Std], 3, 1, 1));
        var batch = GraphOps.Unsqueeze(g, scope, normalized, 0);
        if (resized != input)
            batch = g.Op("Resize", scope, [1, 3, resized.h, resized.w], [batch.Name, "", "", g.Int64s(1, 3, resized.h, resized.w)],
                OnnxAttr.String("mode", "linear"), OnnxAttr.String("coordinate_transformation_mode", "half_pixel"));
        if (padded != resized)
            batch = g.Op("Pad", scope, [1, 3, padded.h, padded.w], [batch.Name, g.Int64s(0, 0, 0, 0, 0, 0, padded.h - resized.h, padded.w - resized.w)]);
        return batch;
    }

    /// <summary>DetectionBackbone.ForwardLevels: the body's C2..C5, then the FPN's P2..P5 and the pooled P6.</summary>
    private static OnnxValue[] Pyramid(OnnxGraph g, DetectionBackbone backbone, OnnxValue batch)
    {
        var stages = ResNetEmitter.Stages(g, backbone.Body, "backbone.body", batch);
        var fpn = backbone.NamedChildren().First(c => c.name == "fpn").module;
        var blocks = fpn.NamedChildren().ToDictionary(c => c.name, c => (Sequential)c.module, StringComparer.Ordinal);
        var (inner, layer) = (blocks["inner_blocks"], blocks["layer_blocks"]);
        OnnxValue Inner(int i, OnnxValue v) => ModuleEmitter.Emit(g, inner[i], $"backbone.fpn.inner_blocks.{i}", v);
        OnnxValue Layer(int i, OnnxValue v) => ModuleEmitter.Emit(g, layer[i], $"backbone.fpn.layer_blocks.{i}", v);
        int n = stages.Count;
        var results = new OnnxValue[n + 1];
        var last = Inner(n - 1, stages[n - 1]);
        results[n - 1] = Layer(n - 1, last);
        for (int i = n - 2; i >= 0; i--)
        {
            var lateral = Inner(i, stages[i]);
            // F.UpsampleNearest reads row floor(i * h / outH): Resize's asymmetric coordinates with floor.
            var up = g.Op("Resize", $"backbone.fpn.upsample{i}", lateral.Dims, [last.Name, "", "", g.Int64s([.. lateral.Dims.Select(d => (long)d)])],
                OnnxAttr.String("mode", "nearest"), OnnxAttr.String("coordinate_transformation_mode", "asymmetric"), OnnxAttr.String("nearest_mode", "floor"));
            last = GraphOps.Elementwise(g, "Add", $"backbone.fpn.merge{i}", lateral, up.Name);
            results[i] = Layer(i, last);
        }
        results[n] = Ops.MaxPool(g, "backbone.fpn.pool", results[n - 1], 1, 2, 0);
        return results;
    }

    private static int RoundUp(int size) => (size + 31) / 32 * 32;
}

/// <summary>What a detector's export wrote: opset, IR version, the input size and the sizes the graph resizes and pads it to, and the graph's size.</summary>
public sealed record DetectorOnnxSummary(int Opset, long IrVersion, int Height, int Width, (int h, int w) Resized, (int h, int w) Padded,
    int Nodes, int Initializers, long WeightBytes, long FileBytes, IReadOnlyDictionary<string, int> OpCounts);

/// <summary>The input size the detector's graph is made for (one image [3, Height, Width]), the opset, and metadata.</summary>
public sealed record DetectorOnnxOptions
{
    public int Height { get; init; }
    public int Width { get; init; }

    /// <summary>The ai.onnx opset, 13 to 17 (RoiAlign's aligned=False is named explicitly from 16 on).</summary>
    public int Opset { get; init; } = OnnxExportOptions.DefaultOpset;

    public string GraphName { get; init; } = "contextnets_maskrcnn";

    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
