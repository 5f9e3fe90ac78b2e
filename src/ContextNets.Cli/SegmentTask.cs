using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ContextNets.Training;
using ContextNets.Training.Segmentation;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet train --task segment`: a segmenter on the generated Fashion-MNIST scenes (11 classes: background and the
/// 10 items), by <see cref="SegmentationRecipe"/>. The default, <see cref="DefaultModel"/> at 128 px with 96 px crops
/// over <see cref="DefaultTrainScenes"/> scenes, is sized for under 15 minutes on 2 idle cores (docs/segmentation.md).
/// </summary>
internal sealed class SegmentTask : ITrainTask
{
    public const string DefaultModel = "fcn_resnet18";
    public const int DefaultTrainScenes = 1000, DefaultValScenes = 200;

    private static readonly Option<int> CropOpt = new("--seg-crop-size") { Description = "Segmentation: side of the square training crops.", DefaultValueFactory = _ => new SegmentationRecipe().CropSize };
    private static readonly Option<int> BaseOpt = new("--seg-base-size") { Description = "Segmentation: side the images are resized to before the random scale (and for evaluation).", DefaultValueFactory = _ => new SegmentationRecipe().BaseSize };
    private static readonly Option<string> ScheduleOpt = new("--seg-schedule") { Description = "Segmentation: poly (power 0.9) or cosine.", DefaultValueFactory = _ => "poly" };
    private static readonly Option<int> OutputStrideOpt = new("--seg-output-stride") { Description = "Segmentation: the body's output stride (8, 16 or 32).", DefaultValueFactory = _ => new SegmentationRecipe().OutputStride };
    private static readonly Option<double> AuxLossOpt = new("--seg-aux-loss") { Description = "Segmentation: weight of the aux head's loss (torchvision's reference: 0.5); 0 builds no aux head.", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> TrainScenesOpt = new("--seg-train-scenes") { Description = "Segmentation: how many training scenes.", DefaultValueFactory = _ => DefaultTrainScenes };
    private static readonly Option<int> ValScenesOpt = new("--seg-val-scenes") { Description = "Segmentation: how many val scenes.", DefaultValueFactory = _ => DefaultValScenes };

    public string Name => "segment";
    public string Summary => $"semantic segmentation, {DefaultModel} on the generated scenes by default";
    public IReadOnlyList<Option> Options => [CropOpt, BaseOpt, ScheduleOpt, OutputStrideOpt, AuxLossOpt, TrainScenesOpt, ValScenesOpt];

    public int Start(ParseResult p, CancellationToken cancel)
    {
        TrainCommand.RefuseUnread(p, Name, [TrainCommand.ModelOpt, TrainCommand.DataOpt, TrainCommand.EpochsOpt, TrainCommand.BatchOpt, TrainCommand.LrOpt,
            TrainCommand.WdOpt, TrainCommand.WarmupOpt, TrainCommand.SeedOpt, TrainCommand.OutOpt]);
        var defaults = new SegmentationRecipe();
        int epochs = TrainCommand.Given(p, TrainCommand.EpochsOpt) ?? defaults.Epochs;
        var recipe = new SegmentationRecipe
        {
            Epochs = epochs,
            BatchSize = TrainCommand.Given(p, TrainCommand.BatchOpt) ?? defaults.BatchSize,
            Lr = TrainCommand.Given(p, TrainCommand.LrOpt) ?? defaults.Lr,
            WeightDecay = TrainCommand.Given(p, TrainCommand.WdOpt) ?? defaults.WeightDecay,
            // The default warmup is at most a quarter of the run, so that a short run (--epochs 1) needs no --warmup-epochs.
            WarmupEpochs = TrainCommand.Given(p, TrainCommand.WarmupOpt) ?? Math.Min(defaults.WarmupEpochs, epochs / 4.0),
            Seed = p.GetValue(TrainCommand.SeedOpt),
            Schedule = p.GetValue(ScheduleOpt)!,
            BaseSize = p.GetValue(BaseOpt),
            CropSize = p.GetValue(CropOpt),
            OutputStride = p.GetValue(OutputStrideOpt),
            AuxLossWeight = p.GetValue(AuxLossOpt),
        };
        try { recipe.Validate(); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
        string model = TrainCommand.Given(p, TrainCommand.ModelOpt) ?? DefaultModel;
        if (!Models.Segmentation.Segmenters.IsSegmenter(model))
            throw new CliException($"--task segment trains a segmenter (fcn_, deeplabv3_ or ccnet_ with an ImageNet body of the zoo, e.g. {DefaultModel}), not '{model}'.");
        string dataName = TrainCommand.Given(p, TrainCommand.DataOpt) ?? SegmentRun.ScenesName;
        // The data is opened (and a folder checked throughout) before the run folder is made, so that bad data leaves nothing behind.
        Engine.EnsureNative();
        var (config, data) = dataName == SegmentRun.ScenesName
            ? Scenes(p, model, recipe)
            : SegmentFolderData.Configure(dataName, model, recipe, [TrainScenesOpt, ValScenesOpt], p);
        if (data.Train.Count < recipe.BatchSize)
            throw new CliException($"The training set ({data.Train.Count} images) must hold at least one batch of {recipe.BatchSize}.");
        string dir = TrainCommand.RunFolder(p.GetValue(TrainCommand.OutOpt), model);
        config.Save(dir);
        return Train(config, data, dir, resume: false, cancel);
    }

    private static (SegmentRun, (Data.Segmentation.ISegmentationSet Train, Data.Segmentation.ISegmentationSet Val)) Scenes(ParseResult p, string model, SegmentationRecipe recipe)
    {
        int trainScenes = p.GetValue(TrainScenesOpt), valScenes = p.GetValue(ValScenesOpt);
        if (trainScenes < recipe.BatchSize || valScenes < 1)
            throw new CliException($"--seg-train-scenes ({trainScenes}) must hold at least one batch of {recipe.BatchSize}, and --seg-val-scenes ({valScenes}) at least one scene.");
        var config = new SegmentRun { Model = model, TrainScenes = trainScenes, ValScenes = valScenes, Classes = [.. Data.Scenes.Scene.SemanticClasses], Recipe = recipe };
        return (config, config.OpenData());
    }

    public bool Owns(string run) => SegmentRun.Is(run);

    public int Resume(ParseResult p, string run, CancellationToken cancel)
    {
        TrainCommand.RefuseUnread(p, Name, []);
        var config = SegmentRun.Load(run);
        // Both answers come from the checkpoint's manifest, before the scenes are made and the model built.
        if (!Checkpoint.Exists(run, SegmentationTrainer.Last)) throw new CliException($"{run} has no checkpoint to resume from: the run stopped before its first epoch.");
        if (Checkpoint.ReadState(run, SegmentationTrainer.Last).Epoch >= config.Recipe.Epochs)
        {
            Console.WriteLine($"{run} has finished its {config.Recipe.Epochs} epochs: nothing to resume (ctxnet eval {run} scores it).");
            return 0;
        }
        Engine.EnsureNative();
        return Train(config, config.OpenData(), run, resume: true, cancel);
    }

    private static int Train(SegmentRun config, (Data.Segmentation.ISegmentationSet Train, Data.Segmentation.ISegmentationSet Val) data, string dir, bool resume, CancellationToken cancel)
    {
        var (train, val) = data;
        using var model = config.CreateModel();
        using var trainer = new SegmentationTrainer(model, train, val, config.Recipe, dir, config.ToJson()) { Report = Console.WriteLine };
        if (resume)
        {
            trainer.Resume();
            Console.WriteLine($"Resuming {dir} after epoch {trainer.State.Epoch} of {config.Recipe.Epochs}.");
        }
        var r = config.Recipe;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Model: {config.Model} ({model.ParameterCount:N0} parameters), output stride {r.OutputStride}, {config.Classes.Length} classes\nData: {config.TrainScenes} train / {config.ValScenes} val scenes, base {r.BaseSize} px, crops {r.CropSize} px, scale [{r.MinScale}, {r.MaxScale}], flip\nRecipe: {r.Epochs} epochs, batch {r.BatchSize}, SGD lr {r.Lr} ({r.Schedule}, warmup {r.WarmupEpochs} epochs), weight decay {r.WeightDecay}, aux loss weight {r.AuxLossWeight}, seed {r.Seed}; {Engine.Threads} threads\nRun folder: {dir}"));
        var clock = Stopwatch.StartNew();
        try
        {
            var score = trainer.Fit(cancel);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Val mIoU {100 * (score?.MeanIoU ?? double.NaN):F2}%, pixel accuracy {100 * (score?.PixelAccuracy ?? double.NaN):F2}% after {trainer.State.Epoch} epochs ({clock.Elapsed.TotalMinutes:F1} min; best mIoU {100 * trainer.State.Metrics.GetValueOrDefault("best_miou", double.NaN):F2}%)."));
            Console.WriteLine($"Run folder: {dir}");
            return 0;
        }
        catch (OperationCanceledException)
        {
            string where = Checkpoint.Exists(dir, SegmentationTrainer.Last)
                ? $"The run folder {dir} keeps its checkpoint of epoch {Checkpoint.ReadState(dir, SegmentationTrainer.Last).Epoch}; continue with: ctxnet train --resume {dir}"
                : $"No epoch had finished; {dir} holds only its settings.";
            throw new CliException($"Interrupted. {where}", ExitCodes.Interrupted);
        }
        catch (TrainingDivergedException e)
        {
            throw new CliException($"{e.Message}\nThe run folder is {dir}.", ExitCodes.Diverged);
        }
    }
}
