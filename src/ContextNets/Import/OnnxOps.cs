using ContextNets.Export.Proto;

namespace ContextNets.Import;

/// <summary>
/// The ops the importer knows, by ONNX op type, each built from its node once at load. Any other op (or another
/// domain) is refused by name with the node that uses it, before anything runs.
/// </summary>
internal static class OnnxOps
{
    public static readonly IReadOnlyList<string> Supported =
    [
        "Conv", "BatchNormalization", "Relu", "Sigmoid", "Sqrt", "Softmax", "Add", "Sub", "Mul", "Div", "MaxPool", "AveragePool",
        "GlobalAveragePool", "Gemm", "MatMul", "Flatten", "Reshape", "Concat", "Split", "Slice", "ReduceMean", "ReduceSum",
        "LayerNormalization", "Transpose", "Identity", "Constant",
    ];

    public static ImportedOp Create(NodeProto node, OnnxBuild build)
    {
        string where = OnnxGraphFile.Describe(node);
        if (node.Domain is not ("" or "ai.onnx"))
            throw new InvalidDataException($"ONNX node {where} is in the domain '{node.Domain}'; only the default ONNX domain is imported.");
        var a = new OnnxAttributes(node, where);
        return node.OpType switch
        {
            "Conv" => new ConvOp(node, a),
            "BatchNormalization" => new BatchNormOp(node, a, build.Opset),
            "Relu" => new UnaryOp(node, a, "relu", F.Relu),
            "Sigmoid" => new UnaryOp(node, a, "sigmoid", F.Sigmoid),
            "Sqrt" => new UnaryOp(node, a, "sqrt", F.Sqrt),
            "Identity" => new UnaryOp(node, a, "identity", x => F.Reshape(x, [.. x.Shape])),
            "Softmax" => new SoftmaxOp(node, a, build.Opset),
            "Add" => new BinaryOp(node, a, F.Add),
            "Sub" => new BinaryOp(node, a, F.Sub),
            "Mul" => new BinaryOp(node, a, F.Mul),
            "Div" => new BinaryOp(node, a, F.Div),
            "MaxPool" => new PoolOp(node, a, max: true),
            "AveragePool" => new PoolOp(node, a, max: false),
            "GlobalAveragePool" => new GlobalAveragePoolOp(node, a),
            "Gemm" => new GemmOp(node, a, build.Opset),
            "MatMul" => new MatMulOp(node, a),
            "Flatten" => new FlattenOp(node, a),
            "Transpose" => new TransposeOp(node, a),
            "Reshape" => new ReshapeOp(node, a, build),
            "Concat" => new ConcatOp(node, a),
            "Split" => new SplitOp(node, a, build),
            "Slice" => new SliceOp(node, a, build),
            "ReduceMean" => new ReduceOp(node, a, build, mean: true),
            "ReduceSum" => new ReduceOp(node, a, build, mean: false),
            "LayerNormalization" when build.Opset >= 17 => new LayerNormOp(node, a),
            _ => throw new NotSupportedException(
                $"ONNX node {where} uses the op {node.OpType}{(node.OpType == "LayerNormalization" ? $" below opset 17 (the file is at {build.Opset})" : "")}, " +
                $"which the importer does not support (it reads {string.Join(", ", Supported)})."),
        };
    }
}
