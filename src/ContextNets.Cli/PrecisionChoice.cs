using System.CommandLine;
using ContextNets.Data;
using ContextNets.Models;
using ContextNets.Models.Inference;
using ContextNets.NN;

namespace ContextNets.Cli;

/// <summary>
/// `--precision fp32|bf16|int8` of the inference commands, and the prepared model it asks for. Int8 calibrates on the
/// first <see cref="CalibrationImages"/> training images of the run's data (evaluation preprocessing, min-max scales).
/// </summary>
internal static class PrecisionChoice
{
    public const int CalibrationImages = 512;
    public static readonly string[] Names = ["fp32", "bf16", "int8"];

    public static Option<string> Option(string? defaultValue = "fp32") => new("--precision")
    {
        Description = "Inference precision: fp32, bf16 (bf16 convs, f32 accumulation) or int8 (calibrated on training images, f32 fallback for layers with low SQNR).",
        DefaultValueFactory = _ => defaultValue!,
    };

    public static Precision Parse(string name) => name switch
    {
        "fp32" => Precision.Fp32,
        "bf16" => Precision.Bf16,
        "int8" => Precision.Int8,
        _ => throw new CliException($"--precision is one of {string.Join(", ", Names)}, not '{name}'."),
    };

    public static string Name(Precision p) => Names[(int)p];

    /// <summary>The model prepared in <paramref name="precision"/>; int8 calibrates on <paramref name="calibration"/>.</summary>
    public static InferenceModel Prepare(Module model, Precision precision, Func<Tensor>? calibration, Int8Choice? int8 = null)
    {
        if (model is not ResNet resnet) throw new CliException("Only the ResNet-family models have a prepared (folded) inference path for --precision.");
        if (precision != Precision.Int8) return resnet.Prepare(new InferenceOptions { Precision = precision });
        using var images = calibration?.Invoke() ?? throw new CliException("int8 needs calibration images.");
        return resnet.Prepare(new InferenceOptions
        {
            Precision = precision, Calibration = images, Method = int8?.Method ?? CalibrationMethod.MinMax, Int8Attention = int8?.Attention ?? false,
        });
    }

    /// <summary>The first training images of a run's data, preprocessed as for evaluation.</summary>
    public static Tensor CalibrationFrom(RunData data)
    {
        var subset = data.WithSubset(Math.Min(CalibrationImages, data.Train.Count));
        using var loader = new DataLoader(subset.Train, subset.EvalTransform(), subset.Normalize, new LoaderOptions { BatchSize = subset.Train.Count, Shuffle = false });
        // The batch holds only its images (no mixing): the caller takes them over.
        return loader.MakeBatch(0, 0).Images;
    }
}
