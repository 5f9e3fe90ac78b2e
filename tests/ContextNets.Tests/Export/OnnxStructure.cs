using ContextNets.Export.Proto;
using static ContextNets.Export.Proto.AttributeProto.Types;

namespace ContextNets.Tests.Export;

/// <summary>
/// Our own structural check of an exported file, parsed back with Google.Protobuf: the opset import and IR version,
/// initializers whose dims match their data, a graph in topological order where every input is a graph input, an
/// initializer or an earlier node's output and every value has one producer, attributes with their types, only the
/// ops the exporter means to write (in their opset 13..17 forms), nothing unused, and the input and output shapes.
/// </summary>
internal static class OnnxStructure
{
    private static readonly HashSet<string> AllowedOps =
    [
        "Conv", "Relu", "Add", "Sub", "Mul", "Div", "Sqrt", "Sigmoid", "Softmax", "MatMul", "ReduceMean", "ReduceSum", "GlobalAveragePool",
        "MaxPool", "AveragePool", "Reshape", "Transpose", "Flatten", "Gemm", "BatchNormalization", "LayerNormalization", "Split", "Concat", "Identity",
    ];

    /// <summary>The problems found (empty when the model is sound).</summary>
    public static List<string> Problems(byte[] bytes, int opset, int[] input, int[] output, bool dynamicBatch)
    {
        var problems = new List<string>();
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            return [$"does not parse: {e.Message}"];
        }
        void Need(bool ok, string problem)
        {
            if (!ok) problems.Add(problem);
        }

        Need(model.IrVersion == (opset <= 14 ? 7 : 8), $"IR version {model.IrVersion} for opset {opset}");
        var imports = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        Need(imports.Count == 1 && imports[0].Version == opset, $"opset imports {string.Join(", ", model.OpsetImport.Select(o => $"'{o.Domain}' {o.Version}"))}, expected ai.onnx {opset}");
        Need(model.OpsetImport.Count == imports.Count, "imports a domain other than ai.onnx");
        var g = model.Graph;
        if (g is null) return [.. problems, "no graph"];

        var defined = new HashSet<string>(StringComparer.Ordinal);
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            Need(t.Name.Length > 0 && initializers.Add(t.Name) && defined.Add(t.Name), $"initializer '{t.Name}' is unnamed or named twice");
            Need(t.Dims.All(d => d >= 0), $"initializer {t.Name} has negative dims");
            long count = t.Dims.Aggregate(1L, (a, d) => a * d);
            int size = t.DataType switch { (int)TensorProto.Types.DataType.Float => 4, (int)TensorProto.Types.DataType.Int64 => 8, _ => 0 };
            Need(size > 0, $"initializer {t.Name} has data type {t.DataType}");
            Need(t.RawData.Length == count * size && t.FloatData.Count == 0 && t.Int64Data.Count == 0,
                $"initializer {t.Name}: dims [{string.Join(", ", t.Dims)}] need {count * size} bytes, raw data has {t.RawData.Length}");
            if (t.DataType == (int)TensorProto.Types.DataType.Float)
                Need(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray().All(float.IsFinite), $"initializer {t.Name} holds a non-finite value");
        }
        Need(g.Input.Count == 1 && g.Output.Count == 1, $"{g.Input.Count} inputs and {g.Output.Count} outputs, expected one each");
        foreach (var i in g.Input) Need(defined.Add(i.Name), $"graph input {i.Name} is also an initializer");
        if (g.Input.Count == 1) CheckShape(g.Input[0], input, dynamicBatch, problems);
        if (g.Output.Count == 1) CheckShape(g.Output[0], output, dynamicBatch, problems);

        var used = new HashSet<string>(StringComparer.Ordinal);
        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in g.Node)
        {
            string at = $"node {node.Name} ({node.OpType})";
            Need(node.Name.Length > 0 && nodeNames.Add(node.Name), $"{at}: unnamed, or its name is taken");
            Need(node.Domain.Length == 0, $"{at}: domain '{node.Domain}'");
            Need(AllowedOps.Contains(node.OpType), $"{at}: an op the exporter does not write");
            Need(node.OpType != "LayerNormalization" || opset >= 17, $"{at}: LayerNormalization needs opset 17, the model has {opset}");
            foreach (var i in node.Input)
            {
                Need(defined.Contains(i), $"{at}: input '{i}' is not defined before the node");
                used.Add(i);
            }
            foreach (var o in node.Output) Need(o.Length > 0 && defined.Add(o), $"{at}: output '{o}' is produced twice");
            var attrNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var a in node.Attribute)
            {
                Need(attrNames.Add(a.Name), $"{at}: attribute {a.Name} twice");
                Need(a.Type switch
                {
                    AttributeType.Int => a.HasI,
                    AttributeType.Float => a.HasF,
                    AttributeType.Ints => a.Ints.Count > 0,
                    _ => false,
                }, $"{at}: attribute {a.Name} of type {a.Type} has no value of that type");
            }
            CheckOpForm(node, attrNames, at, problems);
        }
        if (g.Output.Count == 1) Need(g.Node.Any(n => n.Output.Contains(g.Output[0].Name)), $"the graph output {g.Output[0].Name} is not produced by any node");
        foreach (var name in initializers) Need(used.Contains(name), $"initializer {name} is never used");
        foreach (var node in g.Node)
            foreach (var o in node.Output)
                Need(used.Contains(o) || g.Output.Any(x => x.Name == o), $"node {node.Name}: output {o} is never used");
        return problems;
    }

    // The forms of opsets 13 to 17: ReduceMean's axes are an attribute, ReduceSum's and Split's an input.
    private static void CheckOpForm(NodeProto node, HashSet<string> attrs, string at, List<string> problems)
    {
        (bool ok, string what) check = node.OpType switch
        {
            "Conv" => (attrs.IsSupersetOf(["kernel_shape", "strides", "pads", "dilations", "group"]) && node.Input.Count is 2 or 3, "Conv needs its attributes and 2 or 3 inputs"),
            "ReduceMean" => (attrs.Contains("axes") && node.Input.Count == 1, "ReduceMean takes its axes as an attribute before opset 18"),
            "ReduceSum" => (node.Input.Count == 2 && !attrs.Contains("axes"), "ReduceSum takes its axes as an input from opset 13"),
            "Split" => (node.Input.Count == 2 && attrs.Contains("axis"), "Split takes its sizes as an input from opset 13"),
            "Reshape" => (node.Input.Count == 2, "Reshape needs its shape input"),
            "Softmax" => (attrs.Contains("axis"), "Softmax needs an explicit axis"),
            _ => (true, ""),
        };
        if (!check.ok) problems.Add($"{at}: {check.what}");
    }

    private static void CheckShape(ValueInfoProto v, int[] dims, bool dynamicBatch, List<string> problems)
    {
        var t = v.Type?.TensorType;
        if (t is null || t.ElemType != (int)TensorProto.Types.DataType.Float || t.Shape is null)
        {
            problems.Add($"{v.Name}: not a float32 tensor with a shape");
            return;
        }
        var d = t.Shape.Dim;
        bool ok = d.Count == dims.Length && d.Select((x, i) => i == 0 && dynamicBatch ? x.HasDimParam && x.DimParam == "batch" : x.HasDimValue && x.DimValue == dims[i]).All(b => b);
        if (!ok)
            problems.Add($"{v.Name}: shape [{string.Join(", ", d.Select(x => x.HasDimParam ? x.DimParam : x.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)))}], expected {Shape.Format(dims)}{(dynamicBatch ? " with a symbolic batch" : "")}");
    }
}
