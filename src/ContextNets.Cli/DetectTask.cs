using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ContextNets.Data.Detection;
using ContextNets.Detection;
using ContextNets.Detection.Training;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet train --task detect`: Mask R-CNN (<see cref="DetectRecipe"/>) on the generated scenes or a COCO-format set
/// (<see cref="DetectData"/>), its body from a classifier (on the scenes by default one pretrained on Fashion-MNIST
/// first, <see cref="BodyPretraining"/>; or --init, <see cref="DetectInit"/>; or --from-scratch), SGD with momentum 0.9, a linear warmup and a tenfold drop for the last quarter of the
/// steps, a checkpoint `last` after every epoch (--resume continues from it), and box and mask mAP on the val images
/// after each. A run that fails or is interrupted before its first checkpoint leaves no run folder.
/// </summary>
internal sealed class DetectTask : ITrainTask
{
    private static readonly Option<int?> TrainScenesOpt = new("--det-train-scenes") { Description = "Detection: generated training scenes (default 1200)." };
    private static readonly Option<int?> ValScenesOpt = new("--det-val-scenes") { Description = "Detection: generated val scenes scored after each epoch (default 100)." };
    private static readonly Option<int?> ImageSizeOpt = new("--det-image-size") { Description = "Detection: the detector's image size (min and max size; the scenes are 256)." };
    private static readonly Option<int?> BodyImagesOpt = new("--det-body-images") { Description = "Detection on the scenes: pretrain the body on the first N Fashion-MNIST training images (default all 60,000)." };
    private static readonly Option<double?> ValSplitOpt = new("--det-val-split") { Description = $"Detection, with --data {DetectData.CocoSyntax}: the fraction of its images held out for validation (default 0.1)." };

    public string Name => "detect";
    public string Summary => $"Mask R-CNN ({DetectRecipe.DefaultModel} by default, its body first pretrained on Fashion-MNIST) on generated Fashion-MNIST scenes or --data {DetectData.CocoSyntax}, scored by box and mask mAP.";
    public IReadOnlyList<Option> Options => [TrainScenesOpt, ValScenesOpt, ImageSizeOpt, ValSplitOpt, BodyImagesOpt];

    public bool Owns(string run) => File.Exists(Path.Combine(run, DetectRecipe.FileName));

    public int Start(ParseResult parse, CancellationToken cancel)
    {
        TrainCommand.RefuseUnread(parse, Name, [TrainCommand.ModelOpt, TrainCommand.DataOpt, TrainCommand.EpochsOpt, TrainCommand.BatchOpt, TrainCommand.LrOpt, TrainCommand.SeedOpt, TrainCommand.OutOpt, FineTuning.InitOpt, FineTuning.FromScratchOpt]);
        var d = new DetectRecipe();
        var recipe = DetectData.Apply(d with
        {
            Model = TrainCommand.Given(parse, TrainCommand.ModelOpt) ?? d.Model,
            Epochs = TrainCommand.Given(parse, TrainCommand.EpochsOpt) ?? d.Epochs,
            BatchSize = TrainCommand.Given(parse, TrainCommand.BatchOpt) ?? d.BatchSize,
            Lr = TrainCommand.Given(parse, TrainCommand.LrOpt) ?? d.Lr,
            Seed = TrainCommand.Given(parse, TrainCommand.SeedOpt) ?? d.Seed,
            TrainScenes = parse.GetValue(TrainScenesOpt) ?? d.TrainScenes,
            ValScenes = parse.GetValue(ValScenesOpt) ?? d.ValScenes,
            ImageSize = parse.GetValue(ImageSizeOpt) ?? d.ImageSize,
            ValFraction = parse.GetValue(ValSplitOpt) ?? d.ValFraction,
            Init = parse.GetValue(FineTuning.InitOpt) is { } init ? Path.GetFullPath(init) : null,
        }, TrainCommand.Given(parse, TrainCommand.DataOpt));
        RefuseOtherDatasOptions(parse, recipe.Data);
        recipe.Validate();
        // On the scenes the body is pretrained on Fashion-MNIST unless the user gives one or asks for none; other data
        // has no such classification set, so its body starts from --init or from scratch.
        bool scratch = parse.GetValue(FineTuning.FromScratchOpt);
        int? bodyImages = parse.GetValue(BodyImagesOpt);
        if (scratch && recipe.Init is not null) throw new CliException("--from-scratch and --init both say where the body starts: give one.");
        bool pretrain = recipe.Init is null && !scratch && recipe.Data == DetectData.Scenes;
        if (bodyImages is not null && !pretrain) throw new CliException("--det-body-images is for the body pretrained on Fashion-MNIST: the scenes' default, without --init or --from-scratch.");
        if (bodyImages is < 1) throw new CliException($"--det-body-images must be at least 1, not {bodyImages}.");
        Engine.EnsureNative();
        // The data is opened before the run folder is made, so that a missing dataset or a bad COCO file leaves nothing behind.
        var data = recipe.OpenData();
        recipe = recipe with { ClassNames = [.. data.Train.ClassNames] };
        string dir = TrainCommand.RunFolder(parse.GetValue(TrainCommand.OutOpt), recipe.Model);
        bool created = !Directory.Exists(dir);
        try
        {
            Directory.CreateDirectory(dir);
            if (pretrain) recipe = recipe with { Init = PretrainBody(recipe, dir, created, bodyImages, cancel) };
            recipe.Save(dir);
            return Train(recipe, data, dir, resume: false, cancel);
        }
        catch when (!Checkpoint.Exists(dir, Trainer.Last))
        {
            // A run that ends before its first checkpoint leaves nothing behind, as a classification run does.
            TrainCommand.RemovePartialRun(dir, created);
            throw;
        }
    }

    /// <summary>
    /// The body's pretraining, whose interrupt would report only its own folder (RUN/body) as removed: the whole run
    /// folder goes with it (the caller removes it), so the message says that instead.
    /// </summary>
    private static string PretrainBody(DetectRecipe recipe, string dir, bool created, int? images, CancellationToken cancel)
    {
        try
        {
            return BodyPretraining.Run(recipe.Model, dir, recipe.Seed, images, cancel);
        }
        catch (CliException e) when (e.ExitCode == ExitCodes.Interrupted)
        {
            throw new CliException($"Interrupted while pretraining the body. Nothing was kept: {dir} was {(created ? "removed" : "emptied")}.", ExitCodes.Interrupted);
        }
    }

    public int Resume(ParseResult parse, string run, CancellationToken cancel)
    {
        TrainCommand.RefuseUnread(parse, Name, []);
        var recipe = DetectRecipe.Load(run);
        Engine.EnsureNative();
        var data = recipe.OpenData();
        if (!data.Train.ClassNames.SequenceEqual(recipe.ClassNames))
            throw new CliException($"The classes of {recipe.CocoAnnotations ?? recipe.Data} are not the run's any more: [{string.Join(", ", data.Train.ClassNames.Skip(1))}] instead of [{string.Join(", ", recipe.ClassNames.Skip(1))}].");
        return Train(recipe, data, run, resume: true, cancel);
    }

    /// <summary>The scene counts are for the scenes, the validation split for COCO data: given with the other data, they would be ignored.</summary>
    private static void RefuseOtherDatasOptions(ParseResult parse, string data)
    {
        Option[] others = data == DetectData.Scenes ? [ValSplitOpt] : [TrainScenesOpt, ValScenesOpt];
        foreach (var o in others.Where(o => parse.GetResult(o) is { Implicit: false }))
            throw new CliException($"{o.Name} is not read with --data {(data == DetectData.Scenes ? DetectData.Scenes : DetectData.CocoSyntax)}.");
    }

    private static int Train(DetectRecipe recipe, (IDetectionSet Train, IDetectionSet Val) data, string dir, bool resume, CancellationToken cancel)
    {
        var (train, val) = data;
        using var model = recipe.CreateModel();
        using var optimizer = Sgd.For(model, recipe.Lr, momentum: 0.9, weightDecay: recipe.WeightDecay);
        bool restored = resume && Checkpoint.Exists(dir, Trainer.Last);
        var state = restored ? Checkpoint.Load(dir, Trainer.Last, model, optimizer) : new TrainingState();
        string body = recipe.Init is null ? "Body: from scratch" : restored ? $"Body: started from {recipe.Init}" : DetectInit.Load(model, recipe.Model, recipe.Init);
        int stepsPerEpoch = (train.Count + recipe.BatchSize - 1) / recipe.BatchSize, totalSteps = stepsPerEpoch * recipe.Epochs;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Model: {recipe.Model} ({model.ParameterCount:N0} parameters), {recipe.ImageSize}px, {recipe.Classes} classes with the background\n{body}\nData: {Describe(recipe, train, val)}\nRecipe: {recipe.Epochs} epochs, batch {recipe.BatchSize}, SGD lr {recipe.Lr} momentum 0.9 (warmup {recipe.WarmupSteps} steps, x0.1 for the last quarter), weight decay {recipe.WeightDecay}; {Engine.Threads} threads\nRun folder: {dir}"));
        if (resume) Console.WriteLine($"Resuming after epoch {state.Epoch} of {recipe.Epochs}.");
        var clock = Stopwatch.StartNew();
        try
        {
            for (int epoch = state.Epoch; epoch < recipe.Epochs; epoch++)
            {
                // Each epoch draws its order and its samples from streams of its own, so that a resumed run repeats an uninterrupted one.
                var order = Shuffled(train.Count, recipe.Seed, epoch);
                var samplers = new DetectionSamplers(recipe.Settings, recipe.Seed + 1000 * epoch);
                double sum = 0;
                model.Train();
                for (int s = 0; s < stepsPerEpoch; s++)
                {
                    cancel.ThrowIfCancellationRequested();
                    long step = (long)epoch * stepsPerEpoch + s;
                    optimizer.LearningRate = LearningRate(recipe, step, totalSteps);
                    using var scope = Tensor.Scope();
                    var batch = order.Skip(s * recipe.BatchSize).Take(recipe.BatchSize).Select(i => train[i]).ToList();
                    var losses = model.Losses([.. batch.Select(e => e.ToTensor())], [.. batch.Select(e => e.Target)], samplers);
                    var total = losses.Total();
                    float value = total.Item();
                    if (!float.IsFinite(value)) throw new CliException($"The loss is {value} at step {step}: training diverged; try a lower --lr.", ExitCodes.Diverged);
                    total.Backward();
                    optimizer.Step();
                    optimizer.ZeroGrad();
                    sum += value;
                    if ((s + 1) % 25 == 0 || s + 1 == stepsPerEpoch)
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1} step {s + 1}/{stepsPerEpoch}: loss {sum / (s + 1):F4} ({string.Join(", ", DetectionLosses.Names.Zip(losses.All, (n, l) => $"{n[5..]} {l.Item():F3}"))}), {clock.Elapsed.TotalMinutes:F1} min"));
                }
                state.Epoch = epoch + 1;
                state.Step = (long)(epoch + 1) * stepsPerEpoch;
                var scores = DetectionEvaluation.Evaluate(model, val, cancel: cancel);
                state.Metrics["box_ap"] = scores.Box.AP;
                state.Metrics["mask_ap"] = scores.Mask.AP;
                Checkpoint.Save(dir, Trainer.Last, model, state, optimizer);
                Console.WriteLine($"epoch {epoch + 1}: {DetectEval.Describe(scores)}; {clock.Elapsed.TotalMinutes:F1} min");
            }
        }
        catch (OperationCanceledException)
        {
            string where = Checkpoint.Exists(dir, Trainer.Last)
                ? $"The run folder {dir} keeps its checkpoint of epoch {Checkpoint.ReadState(dir, Trainer.Last).Epoch}; continue with: ctxnet train --resume {dir}"
                : resume ? $"No epoch had finished; {dir} holds only its settings." : "Nothing was kept: the run stopped before its first checkpoint.";
            throw new CliException($"Interrupted. {where}", ExitCodes.Interrupted);
        }
        Console.WriteLine($"Run folder: {dir}");
        return 0;
    }

    private static string Describe(DetectRecipe r, IDetectionSet train, IDetectionSet val) => r.Data == DetectData.Scenes
        ? $"{train.Count} generated train scenes, {val.Count} val scenes (seed {r.Seed})"
        : string.Create(CultureInfo.InvariantCulture, $"{r.CocoAnnotations} ({r.CocoImages}): {train.Count} train / {val.Count} val images (--det-val-split {r.ValFraction}, seed {r.Seed})");

    /// <summary>Linear warmup from 0.1% (torchvision's reference warmup factor), then the peak, then a tenth of it for the last quarter.</summary>
    private static double LearningRate(DetectRecipe r, long step, long total)
    {
        if (step < r.WarmupSteps) return r.Lr * (0.001 + 0.999 * step / r.WarmupSteps);
        return step >= total * 3 / 4 ? r.Lr * 0.1 : r.Lr;
    }

    private static int[] Shuffled(int count, long seed, int epoch)
    {
        var rng = Rng.For(seed, 7, epoch);
        var order = Enumerable.Range(0, count).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
