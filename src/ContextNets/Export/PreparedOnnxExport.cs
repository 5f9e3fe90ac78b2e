using ContextNets.Models.Inference;
using ContextNets.NN;

namespace ContextNets.Export;

/// <summary>
/// ONNX export of a prepared model in its precision. f32: the same graph as the source model's export. Int8: the
/// QDQ graph of the same quantization: every conv that runs in int8 gets its calibrated input scale and its s8
/// per-channel weights (<see cref="Emit.QdqConv"/>); the convs that fell back to f32, the attention blocks, the
/// pooling and the classifier stay f32, as in the prepared model. Bf16 is refused: ONNX Runtime's CPU provider has
/// no bf16 Conv kernel, so a bf16 graph would run as casts around f32 convs (or not at all), never faster than the
/// f32 one; export f32 instead.
/// </summary>
public static class PreparedOnnxExport
{
    /// <summary>Writes the prepared model's ONNX graph to <paramref name="path"/>, atomically.</summary>
    public static OnnxExportSummary ExportOnnx(this InferenceModel model, string path, OnnxExportOptions options) =>
        OnnxExport.Write(path, () => Build(model, options));

    /// <summary>Writes the prepared model's ONNX graph to a stream.</summary>
    public static OnnxExportSummary ExportOnnx(this InferenceModel model, Stream stream, OnnxExportOptions options) =>
        OnnxExport.Write(stream, () => Build(model, options));

    private static (Proto.ModelProto, OnnxExportSummary) Build(InferenceModel model, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Precision == Precision.Bf16)
            throw new NotSupportedException("A bf16 model is not exported: ONNX Runtime's CPU provider has no bf16 Conv kernel, so the graph would not run faster than f32 (or at all); export the f32 model.");
        if (model.Precision == Precision.Fp32) return OnnxExport.Build(model.Snapshot, options);
        var inputs = new Dictionary<Conv2d, ActivationQuantization>(ReferenceEqualityComparer.Instance);
        foreach (var conv in model.Convs)
            if (conv.Lowered is { Precision: Precision.Int8 } low) inputs.Add(conv.Source, low.Input);
        return OnnxExport.Build(model.Snapshot, options, inputs);
    }
}
