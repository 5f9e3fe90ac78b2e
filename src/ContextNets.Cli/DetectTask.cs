using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ContextNets.Data;
using ContextNets.Detection;
using ContextNets.Detection.Training;
using ContextNets.Training;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet train --task detect`: Mask R-CNN (<see cref="DetectRecipe"/>) on the generated scenes, SGD with momentum
/// 0.9, a linear warmup and a tenfold drop for the last quarter of the steps, a checkpoint `last` after every epoch
/// (--resume continues from it), and box and mask mAP on the val scenes after each.
/// </summary>
internal sealed class DetectTask : ITrainTask
{
    private static readonly Option<int?> TrainScenesOpt = new("--det-train-scenes") { Description = "Detection: generated training scenes (default 1500)." };
    private static readonly Option<int?> ValScenesOpt = new("--det-val-scenes") { Description = "Detection: generated val scenes scored after each epoch (default 100)." };
    private static readonly Option<int?> ImageSizeOpt = new("--det-image-size") { Description = "Detection: the detector's image size (min and max size; the scenes are 256)." };

    public string Name => "detect";
    public string Summary => $"Mask R-CNN ({DetectRecipe.DefaultModel} by default, from scratch) on generated Fashion-MNIST scenes, scored by box and mask mAP.";
    public IReadOnlyList<Option> Options => [TrainScenesOpt, ValScenesOpt, ImageSizeOpt];

    public bool Owns(string run) => File.Exists(Path.Combine(run, DetectRecipe.FileName));

    public int Start(ParseResult parse, CancellationToken cancel)
    {
        TrainCommand.RefuseUnread(parse, Name, [TrainCommand.ModelOpt, TrainCommand.EpochsOpt, TrainCommand.BatchOpt, TrainCommand.LrOpt, TrainCommand.SeedOpt, TrainCommand.OutOpt]);
        var d = new DetectRecipe();
        var recipe = d with
        {
            Model = TrainCommand.Given(parse, TrainCommand.ModelOpt) ?? d.Model,
            Epochs = TrainCommand.Given(parse, TrainCommand.EpochsOpt) ?? d.Epochs,
            BatchSize = TrainCommand.Given(parse, TrainCommand.BatchOpt) ?? d.BatchSize,
            Lr = TrainCommand.Given(parse, TrainCommand.LrOpt) ?? d.Lr,
            Seed = TrainCommand.Given(parse, TrainCommand.SeedOpt) ?? d.Seed,
            TrainScenes = parse.GetValue(TrainScenesOpt) ?? d.TrainScenes,
            ValScenes = parse.GetValue(ValScenesOpt) ?? d.ValScenes,
            ImageSize = parse.GetValue(ImageSizeOpt) ?? d.ImageSize,
        };
        recipe.Validate();
        string dir = TrainCommand.RunFolder(parse.GetValue(TrainCommand.OutOpt), recipe.Model);
        Directory.CreateDirectory(dir);
        recipe.Save(dir);
        return Train(recipe, dir, resume: false, cancel);
    }

    public int Resume(ParseResult parse, string run, CancellationToken cancel) => Train(DetectRecipe.Load(run), run, resume: true, cancel);

    private static int Train(DetectRecipe recipe, string dir, bool resume, CancellationToken cancel)
    {
        Engine.EnsureNative();
        var train = recipe.Scenes(Split.Train);
        var val = recipe.Scenes(Split.Test);
        using var model = recipe.CreateModel();
        using var optimizer = Sgd.For(model, recipe.Lr, momentum: 0.9, weightDecay: recipe.WeightDecay);
        var state = resume && Checkpoint.Exists(dir, Trainer.Last) ? Checkpoint.Load(dir, Trainer.Last, model, optimizer) : new TrainingState();
        var samplers = new DetectionSamplers(recipe.Settings, recipe.Seed + 1000 * state.Epoch);
        int stepsPerEpoch = (train.Count + recipe.BatchSize - 1) / recipe.BatchSize, totalSteps = stepsPerEpoch * recipe.Epochs;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Model: {recipe.Model} ({model.ParameterCount:N0} parameters, from scratch), {recipe.ImageSize}px, {recipe.Classes} classes with the background\nData: {train.Count} generated train scenes, {val.Count} val scenes (seed {recipe.Seed})\nRecipe: {recipe.Epochs} epochs, batch {recipe.BatchSize}, SGD lr {recipe.Lr} momentum 0.9 (warmup {recipe.WarmupSteps} steps, x0.1 for the last quarter), weight decay {recipe.WeightDecay}; {Engine.Threads} threads\nRun folder: {dir}"));
        if (resume) Console.WriteLine($"Resuming after epoch {state.Epoch} of {recipe.Epochs}.");
        var clock = Stopwatch.StartNew();
        for (int epoch = state.Epoch; epoch < recipe.Epochs; epoch++)
        {
            var order = Shuffled(train.Count, recipe.Seed, epoch);
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
        Console.WriteLine($"Run folder: {dir}");
        return 0;
    }

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
