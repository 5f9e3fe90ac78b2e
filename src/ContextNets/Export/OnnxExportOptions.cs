namespace ContextNets.Export;

/// <summary>
/// What <see cref="OnnxExport.ExportOnnx(NN.Module, string, OnnxExportOptions)"/> writes, in the terms of
/// torch.onnx.export: the example input's shape (its args), the opset, dynamic axes (the batch only), the names
/// of the graph's input and output, and the training mode (eval only).
/// </summary>
public sealed record OnnxExportOptions
{
    /// <summary>The default opset: the newest one supported, where LayerNormalization is an ONNX op.</summary>
    public const int DefaultOpset = 17;

    /// <summary>The ai.onnx opset, 13 to 17.</summary>
    public int Opset { get; init; } = DefaultOpset;

    /// <summary>
    /// The example input [N, C, H, W] the graph is made for (required). H and W are fixed in the graph; N is too,
    /// unless <see cref="DynamicBatch"/>.
    /// </summary>
    public Shape? InputShape { get; init; }

    /// <summary>Make the batch dimension of the input and output a symbolic dim ("batch") that any size fills.</summary>
    public bool DynamicBatch { get; init; }

    /// <summary>
    /// Fold every BatchNorm that follows a convolution into that convolution's weights and bias (the default, as
    /// ResNet.Prepare does and as torch.onnx.export's constant folding does); when false, every BatchNorm is a
    /// BatchNormalization node with the running statistics.
    /// </summary>
    public bool FoldBatchNorm { get; init; } = true;

    /// <summary>Eval (the default) exports the inference form whatever the module's mode; Preserve requires the module to be in eval mode.</summary>
    public OnnxTrainingMode TrainingMode { get; init; } = OnnxTrainingMode.Eval;

    public string InputName { get; init; } = "input";
    public string OutputName { get; init; } = "output";

    /// <summary>The graph's name (the model's, in most viewers).</summary>
    public string GraphName { get; init; } = "contextnets";

    /// <summary>Key-value pairs stored in the model's metadata_props (class names, normalization, provenance).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>torch.onnx.TrainingMode: which form of the module is exported.</summary>
public enum OnnxTrainingMode
{
    /// <summary>Inference form (BatchNorm with running statistics), whatever the module's Training flag.</summary>
    Eval,

    /// <summary>The module's own mode: an error unless it is in eval mode.</summary>
    Preserve,

    /// <summary>Training form (batch statistics, running-stat updates): not supported; asking for it is an error.</summary>
    Training,
}
