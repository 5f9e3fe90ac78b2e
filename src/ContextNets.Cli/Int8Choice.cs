using System.CommandLine;
using ContextNets.Models.Inference;

namespace ContextNets.Cli;

/// <summary>
/// `--calibration` and `--int8-attention` of `ctxnet eval` and `predict --precision int8` (`export` takes only
/// `--calibration`: its QDQ graph keeps the attention blocks f32): how the int8 model is calibrated.
/// </summary>
internal sealed record Int8Choice(CalibrationMethod Method, bool Attention)
{
    public static readonly Option<string> MethodOption = new("--calibration")
    {
        Description = "With --precision int8: how activation scales are chosen: minmax (largest magnitude), percentile (99.99% of |x|) or entropy (KL divergence, TensorRT's method).",
        DefaultValueFactory = _ => "minmax",
    };

    public static readonly Option<bool> AttentionOption = new("--int8-attention")
    {
        Description = "With --precision int8: also run the attention blocks' convs and matmuls in simulated int8, and print each block's SQNR.",
    };

    /// <summary>The choice given with <paramref name="precision"/>; <paramref name="attentionOption"/> says whether the command has --int8-attention.</summary>
    public static Int8Choice Read(ParseResult p, Precision precision, bool attentionOption = true)
    {
        string method = p.GetValue(MethodOption)!;
        var chosen = QuantizationTable.MethodNamed(method) ?? throw new CliException($"--calibration is one of {string.Join(", ", QuantizationTable.MethodNames)}, not '{method}'.");
        bool attention = attentionOption && p.GetValue(AttentionOption);
        if (precision != Precision.Int8 && (attention || p.GetResult(MethodOption) is { Implicit: false }))
            throw new CliException(attentionOption ? "--calibration and --int8-attention apply to --precision int8 only." : "--calibration applies to --precision int8 only.");
        return new Int8Choice(chosen, attention);
    }

    public static string Name(CalibrationMethod method) => QuantizationTable.MethodNames[(int)method];
}
