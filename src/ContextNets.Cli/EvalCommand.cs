using System.CommandLine;
using System.Globalization;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>`ctxnet eval RUN`: the test loss and accuracy of a run's checkpoint.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder made by ctxnet train." };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best or last.", DefaultValueFactory = _ => Trainer.Best };
        var precision = PrecisionChoice.Option(null);
        var command = new Command("eval", "Evaluate a run's checkpoint on its test set (with --precision: through the prepared inference model).") { run, checkpoint, precision, Int8Choice.MethodOption, Int8Choice.AttentionOption };
        command.SetAction(p =>
        {
            using var interrupt = Interrupt.Install();
            string dir = p.GetValue(run)!;
            if (DetectEval.Owns(dir)) return p.GetResult(precision) is { Implicit: false } ? throw new CliException("--precision evaluates classifiers; detection runs are evaluated in float32.") : DetectEval.Run(dir, interrupt.Token);
            if (SegmentRun.Is(dir)) return p.GetResult(precision) is { Implicit: false } ? throw new CliException("--precision evaluates classifiers; segmentation runs are evaluated in float32.") : SegmentEval.Run(dir, p.GetValue(checkpoint)!);
            if (VideoRunConfig.IsIn(dir)) return VideoEvaluation.Eval(dir, p.GetValue(checkpoint)!, p.GetValue(precision), interrupt.Token);
            var (config, model, state) = RunModel.Load(dir, p.GetValue(checkpoint)!);
            using (model)
            {
                var data = RunData.Of(config);
                using var loader = data.TestLoader();
                string? chosen = p.GetValue(precision);
                EvalResult r;
                if (chosen is null) r = Trainer.Evaluate(model, loader, interrupt.Token);
                else
                {
                    var parsed = PrecisionChoice.Parse(chosen);
                    using var prepared = PrecisionChoice.Prepare(model, parsed, () => PrecisionChoice.CalibrationFrom(data), Int8Choice.Read(p, parsed));
                    if (prepared.Quantization is { } q) QuantizationReport.Print(q, prepared.AttentionErrors);
                    r = Trainer.Evaluate(prepared.Predict, loader, interrupt.Token);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{config.Model}, checkpoint '{p.GetValue(checkpoint)}' (epoch {state.Epoch}){(chosen is null ? "" : $", {chosen}")}, on {r.Samples} test images: loss {r.Loss:F4}, accuracy {100 * r.Accuracy:F2}% ({r.Samples / r.Seconds:F0} img/s)"));
            }
            return 0;
        });
        return command;
    }
}
