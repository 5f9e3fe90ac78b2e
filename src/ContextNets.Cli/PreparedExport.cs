using ContextNets.Export;
using ContextNets.Models.Inference;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet export --precision int8`: the prepared int8 model as an ONNX QDQ graph (its per-layer report first).
/// A run calibrates on its training images; a zoo model, which has no data, on seeded random images of the input
/// shape, which fixes the graph and its speed but not an accuracy worth anything. bf16 is refused: see
/// <see cref="PreparedOnnxExport"/>.
/// </summary>
internal static class PreparedExport
{
    private const int RandomCalibrationImages = 16;

    public static OnnxExportSummary Write(Module model, Precision precision, Int8Choice int8, string path, OnnxExportOptions options, Func<Tensor>? calibration)
    {
        if (precision == Precision.Bf16)
            throw new CliException("--precision bf16 is not exported: ONNX Runtime's CPU provider has no bf16 Conv kernel, so the graph would run no faster than f32 (or not at all). Export fp32, or int8.");
        if (calibration is null)
        {
            var s = options.InputShape!.Value;
            Console.WriteLine("The int8 scales come from random images (a zoo model has no data): the graph and its speed are real, its accuracy is not.");
            calibration = () => Tensor.Randn(new Shape(RandomCalibrationImages, s[1], s[2], s[3]), seed: 2);
        }
        using var prepared = PrecisionChoice.Prepare(model, precision, calibration, int8);
        if (prepared.Quantization is { } table) QuantizationReport.Print(table);
        return prepared.ExportOnnx(path, options);
    }
}
