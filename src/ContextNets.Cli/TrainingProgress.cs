using System.Diagnostics;
using System.Globalization;
using ContextNets.Training;
using Spectre.Console;

namespace ContextNets.Cli;

/// <summary>
/// Shows a training run: on a terminal a Spectre.Console progress bar per epoch (loss, accuracy, images/s and the
/// run's ETA), otherwise (output redirected, or CI=true) plain lines, one every few seconds and one per epoch.
/// </summary>
internal sealed class TrainingProgress
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(10), BarInterval = TimeSpan.FromMilliseconds(150);

    private readonly Trainer _trainer;
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly long _startStep;
    private TimeSpan _lastShown;

    private TrainingProgress(Trainer trainer)
    {
        _trainer = trainer;
        _startStep = trainer.State.Step;
    }

    public static bool Plain =>
        Console.IsOutputRedirected
        || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
        || !AnsiConsole.Profile.Capabilities.Interactive;

    public static TrainResult Run(Trainer trainer, Func<TrainResult> train)
    {
        var view = new TrainingProgress(trainer);
        if (Plain)
        {
            view.HookPlain();
            return train();
        }
        TrainResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new PercentageColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                view.HookBar(ctx);
                result = train();
            });
        return result!;
    }

    private void HookPlain()
    {
        _trainer.StepDone = p =>
        {
            if (_wall.Elapsed - _lastShown < PlainInterval || p.Batch == p.Batches) return;
            _lastShown = _wall.Elapsed;
            Console.WriteLine($"epoch {p.Epoch + 1}/{p.Epochs}  step {p.Batch}/{p.Batches}  {Running(p)}");
        };
        _trainer.EpochDone = m => Console.WriteLine(Summary(m));
    }

    private void HookBar(ProgressContext ctx)
    {
        ProgressTask? task = null;
        _trainer.StepDone = p =>
        {
            task ??= ctx.AddTask(Markup.Escape($"epoch {p.Epoch + 1}/{p.Epochs}"), maxValue: p.Batches);
            task.Value = p.Batch;
            if (_wall.Elapsed - _lastShown < BarInterval && p.Batch != p.Batches) return;
            _lastShown = _wall.Elapsed;
            task.Description = Markup.Escape($"epoch {p.Epoch + 1}/{p.Epochs}  {Running(p)}");
        };
        _trainer.Evaluating = e =>
        {
            if (task is not null) task.Description = Markup.Escape($"epoch {e + 1}/{_trainer.Options.Epochs}  evaluating...");
        };
        _trainer.EpochDone = m =>
        {
            if (task is null) return;
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch}  train {m.TrainLoss:F4} / {100 * m.TrainAccuracy:F2}%  test {m.TestLoss:F4} / {100 * m.TestAccuracy:F2}%  {m.Seconds:F0} s"));
            task.StopTask();
            task = null;
        };
    }

    private string Running(StepProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"loss {p.Loss:F4}  acc {100 * p.Accuracy:F2}%  {p.ImagesPerSecond:F0} img/s  ETA {Eta()}");

    private static string Summary(EpochMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {m.Epoch}  train loss {m.TrainLoss:F4} acc {100 * m.TrainAccuracy:F2}%  test loss {m.TestLoss:F4} acc {100 * m.TestAccuracy:F2}%  lr {m.Lr:G3}  {m.Seconds:F1} s  {m.ImagesPerSecond:F0} img/s");

    /// <summary>The rest of the run at this process's pace so far, evaluations included once an epoch has ended.</summary>
    private string Eta()
    {
        long done = _trainer.State.Step - _startStep;
        long remaining = _trainer.StepsPerEpoch * _trainer.Options.Epochs - _trainer.State.Step;
        if (done <= 0) return "?";
        var eta = TimeSpan.FromSeconds(_wall.Elapsed.TotalSeconds / done * remaining);
        return eta.TotalHours >= 1 ? eta.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : eta.ToString(@"m\:ss", CultureInfo.InvariantCulture);
    }
}
