using System.CommandLine;
using System.Globalization;
using ContextNets.Data;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet train --task video`: a video network of the zoo on clips, into a run folder like a classifier's (config.json,
/// metrics.csv, chart.png, best and last checkpoints, --resume). By default i3d_small_nl on the generated moving-item
/// clips (docs/video.md has what it reaches and how long it takes).
/// </summary>
internal sealed class VideoTask : ITrainTask
{
    public const string TaskName = "video", DefaultModel = "i3d_small_nl";

    /// <summary>The default recipe for the small networks on the generated clips: AdamW, short warmup, cosine.</summary>
    public static readonly TrainerOptions Recipe = new()
    {
        Epochs = 6,
        Optimizer = "adamw",
        Lr = 2e-3,
        WeightDecay = 0.05,
        WarmupEpochs = 0.3,
    };

    public const int DefaultBatchSize = 16, DefaultGeneratedClips = 4000, DefaultFolderStride = 2;

    internal static readonly Option<int?> FramesOpt = new("--clip-frames") { Description = $"--task video: frames per clip (default {VideoData.GeneratedFrames})." };
    internal static readonly Option<int?> StrideOpt = new("--clip-stride") { Description = $"--task video: frames between sampled frames of a clip folder (default {DefaultFolderStride}; generated clips use every frame)." };
    internal static readonly Option<int?> SizeOpt = new("--clip-size") { Description = $"--task video: side of the square clip (default: {VideoData.GeneratedSide} on generated clips, the network's input size on clip folders)." };
    internal static readonly Option<int?> CountOpt = new("--clip-count") { Description = $"--task video: generated training clips (default {DefaultGeneratedClips}; a quarter as many test clips)." };

    public string Name => TaskName;
    public string Summary => $"a video network on clips; default {DefaultModel} on generated moving Fashion-MNIST clips";
    public IReadOnlyList<Option> Options { get; } = [FramesOpt, StrideOpt, SizeOpt, CountOpt];

    private static readonly Option[] Read = [TrainCommand.ModelOpt, TrainCommand.DataOpt, TrainCommand.EpochsOpt, TrainCommand.BatchOpt, TrainCommand.LrOpt,
        TrainCommand.WdOpt, TrainCommand.WarmupOpt, TrainCommand.OptimizerOpt, TrainCommand.SeedOpt, TrainCommand.OutOpt, TrainCommand.StopAtOpt, TrainPrecision.Opt];

    public int Start(ParseResult p, CancellationToken cancel)
    {
        TrainCommand.RefuseUnread(p, TaskName, Read);
        RefusePrecision(TrainCommand.Given(p, TrainPrecision.Opt));
        string model = TrainCommand.Given(p, TrainCommand.ModelOpt) ?? DefaultModel;
        string data = TrainCommand.Given(p, TrainCommand.DataOpt) ?? VideoData.Generated;
        if (!VideoZoo.Contains(model)) throw new CliException($"--task video trains a video network ({string.Join(", ", VideoZoo.Names)}), not '{model}'.");
        bool generated = VideoData.IsGenerated(data);
        if (generated && (p.GetValue(StrideOpt) is not null || p.GetValue(SizeOpt) is not null))
            throw new CliException($"--clip-stride and --clip-size sample clip folders; the generated clips are {VideoData.GeneratedSide} pixels and use every frame.");
        if (!generated && p.GetValue(CountOpt) is not null) throw new CliException("--clip-count sets how many clips are generated; a clip folder has its own.");
        var entry = VideoZoo.Entry(model);
        var (classes, channels) = VideoData.Describe(generated ? data : Path.GetFullPath(data));
        var normalize = VideoData.NormalizeFor(data, channels);
        var options = Recipe with
        {
            Epochs = TrainCommand.Given(p, TrainCommand.EpochsOpt) ?? Recipe.Epochs,
            Lr = TrainCommand.Given(p, TrainCommand.LrOpt) ?? Recipe.Lr,
            WeightDecay = TrainCommand.Given(p, TrainCommand.WdOpt) ?? Recipe.WeightDecay,
            WarmupEpochs = TrainCommand.Given(p, TrainCommand.WarmupOpt) ?? Recipe.WarmupEpochs,
            Optimizer = TrainCommand.Given(p, TrainCommand.OptimizerOpt) ?? Recipe.Optimizer,
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        var config = new VideoRunConfig
        {
            Model = model,
            Data = generated ? data : Path.GetFullPath(data),
            GeneratedClips = generated ? Positive(p.GetValue(CountOpt) ?? DefaultGeneratedClips, "--clip-count") : 0,
            Frames = Positive(p.GetValue(FramesOpt) ?? (generated ? VideoData.GeneratedFrames : entry.Frames), "--clip-frames"),
            Stride = generated ? 1 : Positive(p.GetValue(StrideOpt) ?? DefaultFolderStride, "--clip-stride"),
            Size = generated ? VideoData.GeneratedSide : Positive(p.GetValue(SizeOpt) ?? entry.InputSize, "--clip-size"),
            Channels = channels,
            Classes = classes,
            Mean = [.. normalize.Mean],
            Std = [.. normalize.Std],
            BatchSize = Positive(TrainCommand.Given(p, TrainCommand.BatchOpt) ?? DefaultBatchSize, "--batch-size"),
            Seed = p.GetValue(TrainCommand.SeedOpt),
            Trainer = options,
        };
        if (generated && config.Frames < 2) throw new CliException("Generated clips need at least 2 frames (--clip-frames).");
        string dir = TrainCommand.RunFolder(p.GetValue(TrainCommand.OutOpt), model);
        return VideoTraining.Run(config, dir, resume: false, p.GetValue(TrainCommand.StopAtOpt), cancel);
    }

    public bool Owns(string run) => VideoRunConfig.IsIn(run);

    public int Resume(ParseResult p, string run, CancellationToken cancel)
    {
        var given = Read.Concat(Options).Where(o => o != TrainCommand.StopAtOpt && p.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (given.Count > 0) throw new CliException($"--resume continues {run} with the settings in its config.json; leave out {string.Join(", ", given)}.");
        TrainCommand.RefuseUnread(p, TaskName, Read);
        RefusePrecision(TrainCommand.Given(p, TrainPrecision.Opt));
        return VideoTraining.Run(VideoRunConfig.Load(run), run, resume: true, p.GetValue(TrainCommand.StopAtOpt), cancel);
    }

    /// <summary>
    /// Video runs are fp32 from end to end: bf16 training and bf16/int8 inference (`--precision`) are the 2-D
    /// ResNets' (their 3-D convs have no bf16 or int8 path), so anything else is refused, never ignored.
    /// </summary>
    internal static void RefusePrecision(string? precision)
    {
        if (precision is not null && precision != "fp32")
            throw new CliException($"--precision {precision} is not available for video networks: bf16 and int8 cover the 2-D ResNets' convolutions only; video runs are fp32.");
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new CliException(string.Create(CultureInfo.InvariantCulture, $"{option} must be at least 1, not {value}."));
}
