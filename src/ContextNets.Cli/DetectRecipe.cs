using System.Text.Json;
using ContextNets.Data.Detection;
using ContextNets.Data.Scenes;
using ContextNets.Detection;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// A detection run's settings, saved as detect.json in its run folder (which is what marks the folder as a detection
/// run): the detector, the data it trains and is scored on (the generated scenes, or a COCO-format set split by
/// <see cref="ValFraction"/>), the image size and the SGD recipe.
/// </summary>
internal sealed record DetectRecipe
{
    public const string FileName = "detect.json";

    /// <summary>A Mask R-CNN on the lightest ImageNet body of the zoo, trained from scratch.</summary>
    public const string DefaultModel = "maskrcnn_resnet18_fpn";

    public string Model { get; init; } = DefaultModel;

    /// <summary><see cref="DetectData.Scenes"/>, or <see cref="DetectData.Coco"/> with the two paths below (full paths).</summary>
    public string Data { get; init; } = DetectData.Scenes;
    public string? CocoAnnotations { get; init; }
    public string? CocoImages { get; init; }

    /// <summary>
    /// Where the body's weights came from (<see cref="DetectInit"/>: a classification run folder or a weights file, full
    /// path), or null for a detector trained from scratch. Read once, at the start: checkpoints hold every weight.
    /// </summary>
    public string? Init { get; init; }

    /// <summary>For COCO data: the fraction of its images held out for validation.</summary>
    public double ValFraction { get; init; } = 0.1;
    public int TrainScenes { get; init; } = 1200;
    public int ValScenes { get; init; } = 100;
    public int ImageSize { get; init; } = 256;
    public int Epochs { get; init; } = 2;
    public int BatchSize { get; init; } = 2;
    public double Lr { get; init; } = 0.02;
    public double WeightDecay { get; init; } = 1e-4;
    public int WarmupSteps { get; init; } = 100;
    public long Seed { get; init; } = 1;

    /// <summary>The class names by label, the background first: Fashion-MNIST's ten classes for the scenes, the categories for COCO data.</summary>
    public string[] ClassNames { get; init; } = [.. Scene.SemanticClasses];

    public int Classes => ClassNames.Length;

    /// <summary>
    /// torchvision's settings with fewer proposals and sampled RoIs for the small images: the scenes hold at most six
    /// objects, so 500 proposals and 128 RoIs per image still cover them many times over.
    /// </summary>
    public DetectorSettings Settings => new()
    {
        MinSize = ImageSize, MaxSize = ImageSize,
        RpnPreNmsTopNTrain = 1000, RpnPostNmsTopNTrain = 500, RpnPreNmsTopNTest = 500, RpnPostNmsTopNTest = 300,
        BoxBatchSizePerImage = 128, BoxDetectionsPerImage = 50,
    };

    public MaskRcnn CreateModel() => DetectionZoo.Create(Model, Classes, Settings, unchecked((int)Seed), fromScratch: true);

    /// <summary>The training and validation images (<see cref="DetectData.Open"/>).</summary>
    public (IDetectionSet Train, IDetectionSet Val) OpenData() => DetectData.Open(this);

    /// <summary>The run's detector with the weights of its `last` checkpoint, in eval mode.</summary>
    public static (DetectRecipe Recipe, MaskRcnn Model, TrainingState State) LoadModel(string dir)
    {
        var recipe = Load(dir);
        if (!Checkpoint.Exists(dir, Trainer.Last)) throw new CliException($"{dir} has no checkpoint yet: its first epoch did not finish.");
        var (model, state) = RunModel.Restore(dir, Trainer.Last, recipe.CreateModel);
        return (recipe, model, state);
    }

    public void Validate()
    {
        if (!DetectionZoo.Contains(Model)) throw new CliException($"--model {Model} is not a detector; use one of: {string.Join(", ", DetectionZoo.Names.Take(6))}, ... (ctxnet models).");
        if (!(ValFraction is > 0 and < 1)) throw new CliException($"--det-val-split {ValFraction} must be a fraction in (0, 1).");
        if (TrainScenes < 1 || ValScenes < 1) throw new CliException($"--det-train-scenes {TrainScenes} and --det-val-scenes {ValScenes} must be at least 1.");
        if (ImageSize is < 64 or > 1024) throw new CliException($"--det-image-size {ImageSize} must be in [64, 1024].");
        if (Epochs < 1 || BatchSize < 1) throw new CliException($"--epochs {Epochs} and --batch-size {BatchSize} must be at least 1.");
        if (!(Lr > 0) || !double.IsFinite(Lr)) throw new CliException($"--lr {Lr} must be a positive number.");
    }

    public void Save(string dir) => File.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, JsonOptions));

    public static DetectRecipe Load(string dir)
    {
        string path = Path.Combine(dir, FileName);
        try
        {
            return JsonSerializer.Deserialize<DetectRecipe>(File.ReadAllText(path), JsonOptions) ?? throw new CliException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not a detection run's settings ({e.Message.Split('\n')[0]}).");
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}
