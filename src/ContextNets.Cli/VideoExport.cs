using System.CommandLine;
using System.Globalization;
using ContextNets.Models;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet export` of a video network or a video run: the graph takes clips [N, C, T, H, W], T the run's frames (or
/// the network's, or --clip-frames), exported in fp32 only (the prepared bf16/int8 inference path is the 2-D ResNets').
/// </summary>
internal static class VideoExport
{
    public static Option<int?> FramesOption() => new("--clip-frames")
    {
        Description = "For a video network or run: the frames of the clip the graph is made for (default: the run's, or the network's).",
    };

    /// <summary>Whether <paramref name="what"/> (a run folder or a model name) is a video one; refuses what a video export cannot do and a clip length for an image model.</summary>
    public static bool Takes(string what, Precision precision, int? frames)
    {
        bool video = Directory.Exists(what) ? VideoRunConfig.IsIn(what) : ModelCatalog.IsVideo(what);
        if (video && precision != Precision.Fp32)
            throw new CliException($"--precision {PrecisionChoice.Name(precision)} is not exported for video networks: the prepared (folded, bf16/int8) inference path covers the 2-D ResNets only. Export fp32.");
        if (!video && frames is not null)
            throw new CliException($"--clip-frames sets a video network's clip length; {what} takes images.");
        return video;
    }

    /// <summary>The clip length of the graph: <paramref name="given"/>, else the run's or network's.</summary>
    public static int Frames(int? given, ExportCommand.Loaded loaded)
    {
        int frames = given ?? loaded.Frames ?? throw new InvalidOperationException("A video export without a clip length.");
        return frames >= 1 ? frames : throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--clip-frames must be at least 1, not {frames}."));
    }

    public static ExportCommand.Loaded FromRun(string run, string checkpoint)
    {
        var (config, model, state) = VideoEvaluation.Load(run, checkpoint);
        string mean = ExportCommand.Floats(config.Mean), std = ExportCommand.Floats(config.Std);
        var metadata = new Dictionary<string, string>
        {
            ["task"] = VideoTask.TaskName,
            ["model"] = config.Model,
            ["weights"] = $"{Path.GetFullPath(run)} checkpoint '{checkpoint}' (epoch {state.Epoch})",
            ["classes"] = string.Join(",", config.Classes),
            ["mean"] = mean,
            ["std"] = std,
            ["stride"] = config.Stride.ToString(CultureInfo.InvariantCulture),
            ["preprocess"] = "clip: the centred span of frames at the stride, the shorter side scaled to image_size, the centre crop",
        };
        string note = $"The input is clips [N, {config.Channels}, T, H, W] normalized as in training: (x / 255 - mean) / std per channel, mean [{mean}], std [{std}]; " +
            $"the run samples {config.Frames} frames {config.Stride} apart.";
        return new ExportCommand.Loaded(model, $"{config.Model} from {run} ('{checkpoint}', epoch {state.Epoch})", config.Channels, config.Size, metadata, note,
            Frames: config.Frames);
    }
}
