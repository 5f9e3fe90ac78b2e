using System.CommandLine;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet train --precision bf16`: the convolutions compute with bf16 operands and f32 accumulation, forward,
/// backward-data and backward-weights (<see cref="Engine.Bf16Convolutions"/>, <see cref="Engine.Bf16WeightGradients"/>);
/// master weights, the optimizer, BatchNorm, the attention blocks'
/// softmaxes and LayerNorms, the classifier and the loss stay f32. The run's config records the precision, and
/// --resume continues in it.
/// </summary>
internal static class TrainPrecision
{
    public static readonly Option<string> Opt = new("--precision")
    {
        Description = "Training precision: fp32, or bf16 (convolutions with bf16 operands and f32 accumulation; weights, BatchNorm, softmax and the loss in f32).",
        DefaultValueFactory = _ => "fp32",
    };

    /// <summary>Switches the convolutions to bf16 when asked, until the result is disposed.</summary>
    public static IDisposable Apply(ParseResult p)
    {
        bool bf16 = p.GetValue(Opt) switch
        {
            "fp32" => false,
            "bf16" => true,
            "int8" => throw new CliException("--precision int8 is for inference (post-training quantization: ctxnet eval/predict/export --precision int8); train in fp32 or bf16."),
            var other => throw new CliException($"--precision for training is fp32 or bf16, not '{other}'."),
        };
        if (bf16 && !Engine.OneDnnIsa.Contains("bf16", StringComparison.Ordinal) && !Engine.OneDnnIsa.Contains("amx", StringComparison.Ordinal))
            Console.WriteLine($"note: this CPU's oneDNN ISA is {Engine.OneDnnIsa}, without native bf16: the bf16 convolutions are emulated and slower than f32.");
        return new Switch(bf16);
    }

    /// <summary>
    /// A resumed run continues in the precision its config records (<paramref name="recorded"/>); another one given
    /// with --resume is refused, since half a run in each would be neither. Only the process that <paramref name="speaks"/>
    /// (rank 0 of a distributed run) says so.
    /// </summary>
    public static void Keep(ParseResult p, string? recorded, string run, bool speaks)
    {
        if (recorded is null) return;
        if (p.GetResult(Opt) is { Implicit: false } && p.GetValue(Opt) != recorded)
            throw new CliException($"{run} trains in {recorded}; --resume continues it in {recorded}, so leave out --precision {p.GetValue(Opt)}.");
        Engine.Bf16Convolutions = recorded == "bf16";
        if (Engine.Bf16Convolutions && speaks) Console.WriteLine($"{run} trains in bf16: it continues in bf16.");
    }

    private sealed class Switch : IDisposable
    {
        private readonly bool _before = Engine.Bf16Convolutions;

        public Switch(bool bf16) => Engine.Bf16Convolutions = bf16;

        public void Dispose() => Engine.Bf16Convolutions = _before;
    }
}
