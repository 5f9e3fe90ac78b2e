using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>A trained run's model, rebuilt from config.json and loaded from one of its checkpoints.</summary>
internal static class RunModel
{
    public static readonly string[] CheckpointNames = [Trainer.Best, Trainer.Last];

    public static (RunConfig config, Module model, TrainingState state) Load(string run, string checkpoint)
    {
        if (!CheckpointNames.Contains(checkpoint)) throw new CliException($"--checkpoint is {string.Join(" or ", CheckpointNames)}, not '{checkpoint}'.");
        var config = RunConfig.Load(run);
        RunNetwork.Require(config);
        if (!Checkpoint.Exists(run, checkpoint))
            throw new CliException($"{run} has no '{checkpoint}' checkpoint ({checkpoint}.json): the run has not finished an epoch.");
        Engine.EnsureNative();
        var (model, state) = FromCheckpoint(RunNetwork.Create(config), run, checkpoint);
        return (config, model, state);
    }

    /// <summary>Loads the checkpoint into a fresh <paramref name="model"/> in eval mode; the model is disposed if that fails.</summary>
    public static (T model, TrainingState state) FromCheckpoint<T>(T model, string run, string checkpoint) where T : Module
    {
        try
        {
            var state = Checkpoint.Load(run, checkpoint, model);
            model.Eval();
            return (model, state);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
