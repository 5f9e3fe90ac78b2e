using System.CommandLine;

namespace ContextNets.Cli;

/// <summary>
/// A training task besides image classification (segmentation, detection, video), chosen by `ctxnet train --task NAME`.
/// Each task owns its data, recipe and loop in its own file; the shared options (model, data, epochs, batch size, lr,
/// seed, out, ...) are <see cref="TrainCommand"/>'s, and a task reads with <see cref="TrainCommand.Given{T}"/> whether
/// the user set one, so that its own default applies otherwise.
/// </summary>
internal interface ITrainTask
{
    /// <summary>The value of --task, e.g. "segment".</summary>
    string Name { get; }

    /// <summary>One line for --help: what it trains and on what by default.</summary>
    string Summary { get; }

    /// <summary>Options only this task reads; their names must not clash with another task's or the shared ones.</summary>
    IReadOnlyList<Option> Options { get; }

    /// <summary>Trains a new run; returns the exit code.</summary>
    int Start(ParseResult parse, CancellationToken cancel);

    /// <summary>Whether the run folder <paramref name="run"/> is one of this task's (for --resume).</summary>
    bool Owns(string run);

    /// <summary>Continues the run in <paramref name="run"/> from its last checkpoint, with its own settings.</summary>
    int Resume(ParseResult parse, string run, CancellationToken cancel);
}

/// <summary>The tasks of `ctxnet train --task`, besides the default, classification.</summary>
internal static class TrainTasks
{
    public const string Classify = "classify";

    public static readonly IReadOnlyList<ITrainTask> All =
    [
        new DetectTask(),
        new SegmentTask(),
        new VideoTask(),
    ];

    public static IEnumerable<string> Names => [Classify, .. All.Select(t => t.Name)];

    /// <summary>The task named <paramref name="name"/>, or null for classification.</summary>
    public static ITrainTask? Find(string name) => name == Classify ? null
        : All.FirstOrDefault(t => t.Name == name)
          ?? throw new CliException($"Unknown --task '{name}': use one of {string.Join(", ", Names)}.");

    /// <summary>Refuses the options of the tasks other than <paramref name="chosen"/> (null: classification), which it would not read.</summary>
    public static void RefuseOthersOptions(ParseResult parse, ITrainTask? chosen)
    {
        foreach (var other in All.Where(t => t != chosen))
            foreach (var o in other.Options.Where(o => parse.GetResult(o) is { Implicit: false }))
                throw new CliException($"{o.Name} is an option of --task {other.Name}; this run trains {chosen?.Name ?? Classify}.");
    }

    /// <summary>The task whose run folder <paramref name="run"/> is, or null for a classification run.</summary>
    public static ITrainTask? Owning(string run) => All.FirstOrDefault(t => t.Owns(run));
}
