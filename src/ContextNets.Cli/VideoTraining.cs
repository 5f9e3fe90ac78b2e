using System.Globalization;
using ContextNets.Data;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>The training loop of a video run: the classification <see cref="Trainer"/> on loaders of clips.</summary>
internal static class VideoTraining
{
    public static int Run(VideoRunConfig config, string dir, bool resume, double? stopAtPercent, CancellationToken cancel)
    {
        if (stopAtPercent is { } s && !(s > 0 && s <= 100)) throw new CliException($"--stop-at is a test accuracy in percent, in (0, 100], not {s}.");
        Engine.EnsureNative();
        var data = VideoData.Of(config);
        if (!data.Train.Classes.SequenceEqual(config.Classes))
            throw new CliException($"The classes of {config.Data} are not the run's: [{string.Join(", ", data.Train.Classes)}] instead of [{string.Join(", ", config.Classes)}].");
        if (data.Train.Count < config.BatchSize)
            throw new CliException($"The training set has {data.Train.Count} clips, fewer than one batch of {config.BatchSize}: lower --batch-size.");
        using var model = Create(config);
        using var train = new DataLoader(data.Train, new LoaderOptions { BatchSize = config.BatchSize, Shuffle = true, DropLast = true, Seed = config.Seed });
        using var test = new DataLoader(data.Test, new LoaderOptions { BatchSize = config.BatchSize, Shuffle = false, Seed = config.Seed });
        bool created = !Directory.Exists(dir);
        using var trainer = new Trainer(model, train, test, config.Trainer, dir, config.ToJson());
        try
        {
            if (resume)
            {
                trainer.Resume();
                Console.WriteLine($"Resuming {dir} after epoch {trainer.State.Epoch} of {config.Trainer.Epochs}.");
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                Model: {config.Model} ({model.ParameterCount:N0} parameters), clips {config.Channels}x{config.Frames}x{config.Size}x{config.Size}, {config.Classes.Length} classes
                Data: {data.Description}
                Recipe: {config.Trainer.Epochs} epochs, batch {config.BatchSize}, {config.Trainer.Optimizer} lr {config.Trainer.Lr} (warmup {config.Trainer.WarmupEpochs} epochs, cosine), weight decay {config.Trainer.WeightDecay}, seed {config.Seed}; {Engine.Threads} threads
                Run folder: {dir}
                """));
            var result = TrainingProgress.Run(trainer, () => trainer.Fit(cancel: cancel, stopAtAccuracy: stopAtPercent / 100));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Test accuracy: {100 * (result.Last?.TestAccuracy ?? double.NaN):F2}% after {result.EpochsDone} epochs (best {100 * result.BestAccuracy:F2}% at epoch {result.BestEpoch})."));
            Console.WriteLine($"Run folder: {dir}");
            return 0;
        }
        catch (Exception e) when (e is OperationCanceledException or TrainingDivergedException)
        {
            bool kept = Checkpoint.Exists(dir, Trainer.Last);
            if (!kept && created && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            string where = kept
                ? $"The run folder {dir} keeps its checkpoint of epoch {Checkpoint.ReadState(dir, Trainer.Last).Epoch}; continue with: ctxnet train --resume {dir}"
                : "Nothing was kept: the run stopped before its first checkpoint.";
            throw e is OperationCanceledException
                ? new CliException($"Interrupted. {where}", ExitCodes.Interrupted)
                : new CliException($"{e.Message}\n{where}", ExitCodes.Diverged);
        }
    }

    /// <summary>The run's network, its weights drawn from the run's seed.</summary>
    public static Module Create(VideoRunConfig config) =>
        VideoZoo.Create(config.Model, config.Classes.Length, config.Channels, unchecked((int)config.Seed));
}
