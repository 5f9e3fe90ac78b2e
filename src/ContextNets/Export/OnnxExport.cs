using ContextNets.Export.Emit;
using ContextNets.Export.Proto;
using ContextNets.IO;
using ContextNets.NN;
using Google.Protobuf;

namespace ContextNets.Export;

/// <summary>
/// ONNX export of a module's inference form, as torch.onnx.export does it for a traced model in eval mode: one graph
/// of standard ai.onnx ops (opset 13 to 17) with the weights as initializers. The module is only read: its mode,
/// weights and buffers are left as they were.
/// </summary>
public static class OnnxExport
{
    /// <summary>
    /// Writes the ONNX model of <paramref name="module"/> to <paramref name="path"/>, atomically: a reader sees the old
    /// file or the whole new one. Throws before writing anything when the request or the module cannot be exported.
    /// </summary>
    public static OnnxExportSummary ExportOnnx(this Module module, string path, OnnxExportOptions options) =>
        Write(path, () => Build(module, options));

    /// <summary>Writes the ONNX model of <paramref name="module"/> to a stream.</summary>
    public static OnnxExportSummary ExportOnnx(this Module module, Stream stream, OnnxExportOptions options) =>
        Write(stream, () => Build(module, options));

    /// <summary>Builds a model, then writes it to <paramref name="path"/> atomically (nothing is written when the build throws).</summary>
    internal static OnnxExportSummary Write(string path, Func<(ModelProto model, OnnxExportSummary summary)> build)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (model, summary) = build();
        AtomicFile.Write(path, s => s.Write(model.ToByteArray()));
        return summary;
    }

    internal static OnnxExportSummary Write(Stream stream, Func<(ModelProto model, OnnxExportSummary summary)> build)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var (model, summary) = build();
        // One exact-size array: protobuf's stream writer goes through a 4 KiB buffer, which took most of the export's
        // time on a 100 MB model.
        stream.Write(model.ToByteArray());
        return summary;
    }

    /// <summary>Protobuf messages are limited to 2 GiB; larger models would need ONNX's external data, which this exporter does not write.</summary>
    private const long MaxInitializerBytes = int.MaxValue - (64L << 20);

    internal static (ModelProto model, OnnxExportSummary summary) Build(Module module, OnnxExportOptions options,
        IReadOnlyDictionary<Conv2d, ActivationQuantization>? int8Inputs = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(options);
        OnnxOpsets.Check(options.Opset);
        CheckMode(module, options.TrainingMode);
        var input = CheckInput(options);

        var graph = new OnnxGraph(options.Opset, options.FoldBatchNorm, int8Inputs);
        var x = graph.Input(options.InputName, input);
        var y = ModuleEmitter.Emit(graph, module, "", x);
        if (int8Inputs is not null && graph.Int8Written.Count != int8Inputs.Count)
            throw new InvalidOperationException($"Int8 export: {int8Inputs.Count} convs are int8 in the prepared model, but the graph wrote {graph.Int8Written.Count} of them.");
        if (graph.InitializerBytes > MaxInitializerBytes)
            throw new NotSupportedException($"The model's weights take {graph.InitializerBytes >> 20} MiB; a single ONNX file holds at most 2 GiB (external data is not written).");
        Name(graph, x, y, options.OutputName);

        var g = new GraphProto { Name = options.GraphName, DocString = $"{module.GetType().Name}, eval form, batch norm {(options.FoldBatchNorm ? "folded into the convolutions" : "as BatchNormalization")}." };
        g.Node.AddRange(graph.Nodes);
        g.Initializer.AddRange(graph.Initializers);
        g.Input.Add(ValueInfo(options.InputName, x.Dims, options.DynamicBatch));
        g.Output.Add(ValueInfo(options.OutputName, y.Dims, options.DynamicBatch));
        var model = Model(g, options.Opset, options.Metadata);

        var summary = new OnnxExportSummary(options.Opset, model.IrVersion, new Shape(x.Dims), new Shape(y.Dims), options.DynamicBatch,
            graph.Nodes.Count, graph.Initializers.Count, graph.InitializerBytes, model.CalculateSize(),
            graph.Nodes.GroupBy(n => n.OpType).OrderBy(o => o.Key, StringComparer.Ordinal).ToDictionary(o => o.Key, o => o.Count()));
        return (model, summary);
    }

    /// <summary>The model around <paramref name="graph"/>: the opset's IR version, the producer, the opset import and the metadata.</summary>
    internal static ModelProto Model(GraphProto graph, int opset, IReadOnlyDictionary<string, string>? metadata)
    {
        var model = new ModelProto
        {
            IrVersion = OnnxOpsets.IrVersion(opset),
            ProducerName = "ContextNets",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static void CheckMode(Module module, OnnxTrainingMode mode)
    {
        switch (mode)
        {
            case OnnxTrainingMode.Eval:
                return;
            case OnnxTrainingMode.Preserve when module.Training:
                throw new InvalidOperationException(
                    $"ONNX export with TrainingMode.Preserve exports the module as it is, and this {module.GetType().Name} is in training mode; call Eval() first, or use TrainingMode.Eval.");
            case OnnxTrainingMode.Preserve:
                return;
            case OnnxTrainingMode.Training:
                throw new NotSupportedException(
                    "ONNX export writes the inference form only: TrainingMode.Training (BatchNorm on batch statistics with running-stat updates) is not supported.");
            default:
                throw new ArgumentException($"Unknown ONNX training mode {(int)mode}.");
        }
    }

    private static int[] CheckInput(OnnxExportOptions options)
    {
        if (options.InputShape is not { } shape)
            throw new ArgumentException("ONNX export needs OnnxExportOptions.InputShape: the example input [N, C, H, W] the graph is made for (torch.onnx.export's args).");
        if (shape.Rank == 0 || shape.Dims.ToArray().Any(d => d < 1))
            throw new ArgumentException($"ONNX export: the input shape {shape} must have at least one dimension, all positive.");
        if (string.IsNullOrEmpty(options.InputName) || string.IsNullOrEmpty(options.OutputName) || options.InputName == options.OutputName)
            throw new ArgumentException($"ONNX export: the input and output names ('{options.InputName}', '{options.OutputName}') must be non-empty and different.");
        return shape.Dims.ToArray();
    }

    // The graph's output takes the requested name: the node that made the last value writes it under that name; a
    // module that returns its input unchanged gets an Identity node.
    private static void Name(OnnxGraph graph, OnnxValue x, OnnxValue y, string name)
    {
        if (ReferenceEquals(x, y) || y.Name == x.Name)
        {
            var id = new NodeProto { OpType = "Identity", Name = "output/Identity" };
            id.Input.Add(x.Name);
            id.Output.Add(name);
            graph.Nodes.Add(id);
            return;
        }
        var producer = graph.Nodes.Last(n => n.Output.Contains(y.Name));
        producer.Output[producer.Output.IndexOf(y.Name)] = name;
    }

    private static ValueInfoProto ValueInfo(string name, int[] dims, bool dynamicBatch)
    {
        var shape = new TensorShapeProto();
        for (int i = 0; i < dims.Length; i++)
            shape.Dim.Add(i == 0 && dynamicBatch ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = dims[i] });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

/// <summary>What an export wrote: the opset and IR version, the graph's input and output shapes for the example input, and its size.</summary>
public sealed record OnnxExportSummary(int Opset, long IrVersion, Shape InputShape, Shape OutputShape, bool DynamicBatch,
    int Nodes, int Initializers, long WeightBytes, long FileBytes, IReadOnlyDictionary<string, int> OpCounts);
