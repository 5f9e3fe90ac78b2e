using System.Text.Json;
using System.Text.Json.Nodes;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// What a run folder's config.json records: enough to resume the run, evaluate it
/// and predict with it (the model, its input, its classes and normalization, the
/// data and the whole recipe).
/// </summary>
internal sealed record RunConfig
{
    public string Tool { get; init; } = "ctxnet " + (typeof(Tensor).Assembly.GetName().Version?.ToString(3) ?? "?");
    /// <summary>The zoo model's name, or <see cref="RunNetwork.Onnx"/> for a classifier on the graph of <see cref="Init"/>.</summary>
    public string Model { get; init; } = ModelCatalog.Default;

    /// <summary>
    /// The file the run started from (--init, a full path): a zoo model's weights, read once at the start, or an
    /// ONNX graph, which is also the network's structure and so must stay where it is for resume, eval and predict.
    /// </summary>
    public string? Init { get; init; }

    /// <summary>The value of the ONNX graph the head reads (--features); null: its first output.</summary>
    public string? Features { get; init; }

    /// <summary>With an ONNX <see cref="Init"/>: the graph's structure only, its weights drawn anew (--from-scratch).</summary>
    public bool FromScratch { get; init; }

    /// <summary>What is frozen (--freeze): "stem", a stage count, or "backbone"; null: nothing.</summary>
    public string? Freeze { get; init; }

    /// <summary>"fashion-mnist", or the full path of a folder (image classes, or IDX files).</summary>
    public string Data { get; init; } = RunData.FashionMnistName;

    public const string WholeImage = "resize", CenterCrop = "center-crop";

    public int ImageSize { get; init; }

    /// <summary>How an image becomes the model's input at test time: <see cref="WholeImage"/> resized, or the <see cref="CenterCrop"/> of the evaluation pipeline.</summary>
    public string Preprocess { get; init; } = WholeImage;
    public int InChannels { get; init; }
    public string[] Classes { get; init; } = [];
    public float[] Mean { get; init; } = [];
    public float[] Std { get; init; } = [];
    public string Aug { get; init; } = TrainCommand.DefaultAug;
    public double Mixup { get; init; }
    public double Cutmix { get; init; }

    /// <summary>The DropBlock rate of the model in training (0: off).</summary>
    public float DropBlock { get; init; }
    public int BatchSize { get; init; } = 128;

    /// <summary>Train on the first N training images only (quick runs and tests); null: all of them.</summary>
    public int? Subset { get; init; }

    /// <summary>Distributed runs normalize with the statistics of the whole global batch (SyncBatchNorm).</summary>
    public bool SyncBn { get; init; }

    /// <summary>
    /// The training precision, fp32 or bf16, which --resume keeps. Null in the configs of runs from before it was
    /// recorded: those resume in the precision given again.
    /// </summary>
    public string? Precision { get; init; }
    public long Seed { get; init; }
    public TrainerOptions Trainer { get; init; } = new();

    public JsonObject ToJson() => (JsonObject)JsonSerializer.SerializeToNode(this, TrainerOptions.Json)!;

    public static string PathIn(string run) => Path.Combine(run, Training.Trainer.ConfigFile);

    /// <summary>The config of a run folder; a missing or unreadable one is a <see cref="CliException"/>.</summary>
    public static RunConfig Load(string run)
    {
        if (!Directory.Exists(run)) throw new CliException($"The run folder {run} does not exist.");
        var path = PathIn(run);
        if (!File.Exists(path)) throw new CliException($"{run} is not a run folder: it has no {Training.Trainer.ConfigFile}.");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>A config from its JSON text (read from <paramref name="path"/>, perhaps on another rank).</summary>
    public static RunConfig Parse(string json, string path)
    {
        try
        {
            var config = JsonSerializer.Deserialize<RunConfig>(json, TrainerOptions.Json)
                ?? throw new CliException($"{path} is empty.");
            if (config.Classes.Length == 0 || config.InChannels < 1 || config.ImageSize < 1 || config.Mean.Length != config.InChannels)
                throw new CliException($"{path} lacks the model's input description (classes, channels, image size, normalization).");
            return config;
        }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not a valid run config: {e.Message}");
        }
    }
}
