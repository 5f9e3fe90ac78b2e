using System.Text.Json;
using System.Text.Json.Nodes;
using ContextNets.Data;
using ContextNets.Data.Scenes;
using ContextNets.Data.Segmentation;
using ContextNets.Models.Segmentation;
using ContextNets.Training;
using ContextNets.Training.Segmentation;

namespace ContextNets.Cli;

/// <summary>
/// A segmentation run folder: its segment.json (this record: the segmenter, the data, its classes and the recipe) and
/// the checkpoints of <see cref="SegmentationTrainer"/>. Enough to resume the run, evaluate it and segment with it.
/// </summary>
internal sealed record SegmentRun
{
    public const string ConfigFile = "segment.json", ScenesName = "scenes";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string Model { get; init; } = "";

    /// <summary>"scenes" (the generated Fashion-MNIST scenes), or the full path of an image + label-map folder (<see cref="LabelMapFolder"/>).</summary>
    public string Data { get; init; } = ScenesName;
    /// <summary>How many training and val images: scenes generated, or the folder's counts.</summary>
    public int TrainScenes { get; init; }
    public int ValScenes { get; init; }
    public string[] Classes { get; init; } = [];
    public SegmentationRecipe Recipe { get; init; } = new();

    public static bool Is(string run) => File.Exists(Path.Combine(run, ConfigFile));

    public JsonObject ToJson() => (JsonObject)JsonSerializer.SerializeToNode(this, Json)!;

    public void Save(string run)
    {
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, ConfigFile), ToJson().ToJsonString(Json));
    }

    public static SegmentRun Load(string run)
    {
        string path = Path.Combine(run, ConfigFile);
        if (!File.Exists(path)) throw new CliException($"{run} is not a segmentation run: it has no {ConfigFile}.");
        try
        {
            var config = JsonSerializer.Deserialize<SegmentRun>(File.ReadAllText(path), Json) ?? throw new CliException($"{path} is empty.");
            if (!Segmenters.IsSegmenter(config.Model) || config.Classes.Length < 2)
                throw new CliException($"{path} names no segmenter with classes (model '{config.Model}', {config.Classes.Length} classes).");
            return config;
        }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not a valid segmentation run config: {e.Message}");
        }
    }

    /// <summary>The segmenter of this run, freshly initialized (the checkpoint is loaded on top).</summary>
    public Segmenter CreateModel() =>
        Segmenters.Create(Model, Classes.Length, aux: Recipe.AuxLossWeight > 0, outputStride: Recipe.OutputStride, seed: unchecked((int)Recipe.Seed));

    /// <summary>The training and validation sets.</summary>
    public (ISegmentationSet Train, ISegmentationSet Val) OpenData()
    {
        if (Data != ScenesName) return SegmentFolderData.Open(Data, Classes);
        return (new SceneSegmentationSet(SceneSet.Load(Split.Train, TrainScenes, unchecked((int)Recipe.Seed), FashionMnistRoot)), ValSceneSet(ValScenes));
    }

    /// <summary>The first <paramref name="count"/> generated val scenes: always seed 0, so that every run is scored on the same scenes.</summary>
    public static ISegmentationSet ValSceneSet(int count) => new SceneSegmentationSet(SceneSet.Load(Split.Test, count, seed: 0, FashionMnistRoot));

    private static string? FashionMnistRoot => Environment.GetEnvironmentVariable(RunData.FashionMnistVariable) is { Length: > 0 } r ? r : null;

    /// <summary>The run's segmenter loaded from its checkpoint <paramref name="checkpoint"/> (best or last), in eval mode.</summary>
    public static (SegmentRun Config, Segmenter Model, TrainingState State) LoadModel(string run, string checkpoint)
    {
        var config = Load(run);
        if (checkpoint is not (SegmentationTrainer.Best or SegmentationTrainer.Last))
            throw new CliException($"--checkpoint is best or last, not '{checkpoint}'.");
        var (model, state) = RunModel.Restore(run, checkpoint, config.CreateModel);
        return (config, model, state);
    }
}
