using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>A trained run's model, rebuilt from config.json and loaded from one of its checkpoints.</summary>
internal static class RunModel
{
    public static readonly string[] CheckpointNames = [Trainer.Best, Trainer.Last];

    public static (RunConfig config, Module model, TrainingState state) Load(string run, string checkpoint)
    {
        RequireName(checkpoint);
        var config = RunConfig.Load(run);
        RunNetwork.Require(config);
        var (model, state) = Restore(run, checkpoint, () => RunNetwork.Create(config));
        return (config, model, state);
    }

    public static void RequireName(string checkpoint)
    {
        if (!CheckpointNames.Contains(checkpoint)) throw new CliException($"--checkpoint is {string.Join(" or ", CheckpointNames)}, not '{checkpoint}'.");
    }

    /// <summary>
    /// The model <paramref name="create"/> builds, with the weights of the run's checkpoint, in eval mode; the model is
    /// disposed if loading fails.
    /// </summary>
    public static (T model, TrainingState state) Restore<T>(string run, string checkpoint, Func<T> create) where T : Module
    {
        if (!Checkpoint.Exists(run, checkpoint))
            throw new CliException($"{run} has no '{checkpoint}' checkpoint ({checkpoint}.json): the run has not finished an epoch.");
        Engine.EnsureNative();
        // The checkpoint holds every parameter and buffer (Checkpoint.Load refuses one that does not), so the random
        // draws of a fresh initialization would only be overwritten: skipping them saves about a second per
        // ImageNet-size model on every eval, predict, analyze and segment.
        T model;
        using (Initializers.SkipRandom()) model = create();
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
