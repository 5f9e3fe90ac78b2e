using System.Text.Json;
using System.Text.Json.Nodes;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// What a video run folder's config.json records (`ctxnet train --task video`): the network, the data and how clips
/// are sampled from it, the classes, the normalization and the recipe; enough to resume, evaluate and predict.
/// </summary>
internal sealed record VideoRunConfig
{
    public string Task { get; init; } = VideoTask.TaskName;
    public string Tool { get; init; } = "ctxnet " + (typeof(Tensor).Assembly.GetName().Version?.ToString(3) ?? "?");
    public string Model { get; init; } = VideoTask.DefaultModel;

    /// <summary><see cref="VideoData.Generated"/>, or the full path of a clip folder with train/ and val/.</summary>
    public string Data { get; init; } = VideoData.Generated;

    /// <summary>Generated data only: the training clips made (a quarter as many test clips).</summary>
    public int GeneratedClips { get; init; }

    public int Frames { get; init; }
    public int Stride { get; init; }

    /// <summary>The side of the square clips the network sees.</summary>
    public int Size { get; init; }
    public int Channels { get; init; }
    public string[] Classes { get; init; } = [];
    public float[] Mean { get; init; } = [];
    public float[] Std { get; init; } = [];
    public int BatchSize { get; init; }
    public long Seed { get; init; }
    public TrainerOptions Trainer { get; init; } = new();

    public JsonObject ToJson() => (JsonObject)JsonSerializer.SerializeToNode(this, TrainerOptions.Json)!;

    /// <summary>Whether <paramref name="run"/> holds a video run's config.</summary>
    public static bool IsIn(string run)
    {
        var path = RunConfig.PathIn(run);
        if (!File.Exists(path)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?["task"]?.GetValue<string>() == VideoTask.TaskName;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    public static VideoRunConfig Load(string run)
    {
        if (!Directory.Exists(run)) throw new CliException($"The run folder {run} does not exist.");
        var path = RunConfig.PathIn(run);
        if (!File.Exists(path)) throw new CliException($"{run} is not a run folder: it has no {Training.Trainer.ConfigFile}.");
        try
        {
            var c = JsonSerializer.Deserialize<VideoRunConfig>(File.ReadAllText(path), TrainerOptions.Json) ?? throw new CliException($"{path} is empty.");
            if (c.Classes.Length == 0 || c.Frames < 1 || c.Stride < 1 || c.Size < 1 || c.Channels < 1 || c.Mean.Length != c.Channels || c.Std.Length != c.Channels)
                throw new CliException($"{path} lacks the clips' description (classes, frames, stride, size, channels, normalization).");
            if (!Models.Video.VideoZoo.Contains(c.Model)) throw new CliException($"{path} names '{c.Model}', which is not a video network of this version.");
            return c;
        }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not a valid run config: {e.Message}");
        }
    }
}
