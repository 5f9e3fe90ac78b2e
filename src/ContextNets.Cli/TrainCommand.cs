using System.CommandLine;
using System.Globalization;
using ContextNets.Data;
using ContextNets.IO;
using ContextNets.NN;
using ContextNets.Training;
using ContextNets.Training.Distributed;

namespace ContextNets.Cli;

/// <summary>`ctxnet train`: trains a model into a run folder, or resumes one.</summary>
internal static class TrainCommand
{
    /// <summary>
    /// The default recipe: gc_resnet20 on Fashion-MNIST to about 91.5% in three epochs, a few minutes on 2 cores.
    /// Without augmentation: three epochs are too few to overfit, and the random crop cost 1.5 points of test accuracy
    /// at this length (docs/training.md has the measurements and the longer recipe).
    /// </summary>
    public static readonly TrainerOptions Recipe = new()
    {
        Epochs = 3,
        Lr = 0.1,
        Momentum = 0.9,
        Nesterov = true,
        WeightDecay = 5e-4,
        WarmupEpochs = 0.2,
    };

    public const string DefaultAug = "none";

    public const int DefaultBatchSize = 128;

    internal static readonly Option<string> ModelOpt = new("--model", "-m") { Description = "The model, by its zoo name (ctxnet models lists them).", DefaultValueFactory = _ => ModelCatalog.Default };
    internal static readonly Option<string> DataOpt = new("--data", "-d") { Description = $"'{RunData.FashionMnistName}' (Debian's {FashionMnist.AptPackage}), a folder of its IDX files, or a folder of images with one subfolder per class (optionally split into train/ and val/).", DefaultValueFactory = _ => RunData.FashionMnistName };
    internal static readonly Option<int> EpochsOpt = new("--epochs", "-e") { Description = "Epochs to train.", DefaultValueFactory = _ => Recipe.Epochs };
    internal static readonly Option<int> BatchOpt = new("--batch-size", "-b") { Description = "Images per training step.", DefaultValueFactory = _ => DefaultBatchSize };
    internal static readonly Option<double> LrOpt = new("--lr") { Description = "Peak learning rate (linear warmup, then cosine to 0).", DefaultValueFactory = _ => Recipe.Lr };
    internal static readonly Option<double> WdOpt = new("--weight-decay") { Description = "Weight decay (none on norms and biases).", DefaultValueFactory = _ => Recipe.WeightDecay };
    internal static readonly Option<double> WarmupOpt = new("--warmup-epochs") { Description = "Length of the linear warmup, in epochs.", DefaultValueFactory = _ => Recipe.WarmupEpochs };
    internal static readonly Option<string> OptimizerOpt = new("--optimizer") { Description = "sgd (Nesterov momentum 0.9) or adamw.", DefaultValueFactory = _ => Recipe.Optimizer };
    private static readonly Option<string> AugOpt = new("--aug") { Description = $"Training augmentation: {string.Join(", ", RunData.AugNames)}.", DefaultValueFactory = _ => DefaultAug };
    private static readonly Option<double> MixupOpt = new("--mixup") { Description = "Mixup alpha (0: off)." };
    private static readonly Option<double> CutmixOpt = new("--cutmix") { Description = "CutMix alpha (0: off)." };
    private static readonly Option<double?> EmaOpt = new("--ema") { Description = "Keep an exponential moving average of the weights with this decay (e.g. 0.999); evaluation and the best checkpoint use it." };
    private static readonly Option<float> DropBlockOpt = new("--drop-block") { Description = "DropBlock rate on the last two stages' outputs in training (e.g. 0.1; 0: off)." };
    private static readonly Option<float> SmoothingOpt = new("--label-smoothing") { Description = "Label smoothing epsilon." };
    internal static readonly Option<int?> ImageSizeOpt = new("--image-size") { Description = "Side of the training images for image folders (default: the model's input size, 28 for the ResNet-20 family, 224 for the ImageNet models)." };
    internal static readonly Option<long> SeedOpt = new("--seed") { Description = "Seed of the initialization, the data order and the augmentation.", DefaultValueFactory = _ => 1 };
    internal static readonly Option<string?> OutOpt = new("--out", "-o") { Description = "The run folder (default runs/MODEL-yyyyMMdd-HHmmss)." };
    internal static readonly Option<double?> StopAtOpt = new("--stop-at") { Description = "Stop after the first epoch whose test accuracy reaches this percentage (e.g. 93), for time-to-accuracy runs; the schedule stays that of --epochs." };
    private static readonly Option<string> TaskOpt = new("--task") { Description = $"What to train: {TrainTasks.Classify} (image classification, the default){string.Concat(TrainTasks.All.Select(t => $"; {t.Name} ({t.Summary})"))}.", DefaultValueFactory = _ => TrainTasks.Classify };
    private static readonly Option<string?> ResumeOpt = new("--resume") { Description = "Continue the run in this folder from its last checkpoint, with its own settings." };

    private static readonly Option[] RecipeOptions = [ModelOpt, DataOpt, EpochsOpt, BatchOpt, LrOpt, WdOpt, WarmupOpt, OptimizerOpt, AugOpt, MixupOpt, CutmixOpt, EmaOpt, DropBlockOpt, SmoothingOpt, ImageSizeOpt, SeedOpt, OutOpt,
        .. FineTuning.Options];

    public static Command Create()
    {
        var command = new Command("train", "Train a model (default: gc_resnet20 on Fashion-MNIST) into a run folder with config.json, metrics.csv, chart.png and checkpoints.");
        foreach (var o in RecipeOptions) command.Options.Add(o);
        foreach (var o in DistributedRun.RecipeOptions) command.Options.Add(o);
        command.Options.Add(TaskOpt);
        foreach (var o in TrainTasks.All.SelectMany(t => t.Options)) command.Options.Add(o);
        command.Options.Add(ResumeOpt);
        command.Options.Add(StopAtOpt);
        command.Options.Add(TrainPrecision.Opt);
        command.Options.Add(DistributedRun.DistributedOpt);
        command.Options.Add(DistributedRun.BucketOpt);
        command.SetAction(parse =>
        {
            if (parse.GetValue(StopAtOpt) is { } stop && !(stop > 0 && stop <= 100))
                throw new CliException($"--stop-at is a test accuracy in percent, in (0, 100], not {stop}.");
            using var cancel = Interrupt.Install();
            using var precision = TrainPrecision.Apply(parse);
            if (parse.GetValue(ResumeOpt) is { } resumed && TrainTasks.Owning(resumed) is { } owner)
                return owner.Resume(parse, resumed, cancel.Token);
            var task = TrainTasks.Find(parse.GetValue(TaskOpt)!);
            TrainTasks.RefuseOthersOptions(parse, task);
            if (task is not null)
            {
                if (parse.GetResult(DistributedRun.DistributedOpt) is { Implicit: false })
                    throw new CliException($"--distributed trains classifiers; --task {task.Name} runs in one process.");
                return task.Start(parse, cancel.Token);
            }
            using var replicas = DistributedRun.StartIfAsked(parse);
            return DistributedRun.Guard(replicas, () => parse.GetValue(ResumeOpt) is { } run
                ? Resume(parse, run, replicas, cancel.Token)
                : Start(parse, replicas, cancel.Token));
        });
        return command;
    }

    private static int Start(ParseResult p, Replicas? replicas, CancellationToken cancel)
    {
        string model = p.GetValue(ModelOpt)!, data = p.GetValue(DataOpt)!, aug = p.GetValue(AugOpt)!;
        var options = Recipe with
        {
            Epochs = p.GetValue(EpochsOpt),
            Lr = p.GetValue(LrOpt),
            WeightDecay = p.GetValue(WdOpt),
            WarmupEpochs = p.GetValue(WarmupOpt),
            Optimizer = p.GetValue(OptimizerOpt)!,
            LabelSmoothing = p.GetValue(SmoothingOpt),
            EmaDecay = p.GetValue(EmaOpt),
        };
        float dropBlock = p.GetValue(DropBlockOpt);
        if (!(dropBlock is >= 0f and < 1f)) throw new CliException($"--drop-block is a probability in [0, 1), not {dropBlock}.");
        int batchSize = p.GetValue(BatchOpt);
        double mixup = p.GetValue(MixupOpt), cutmix = p.GetValue(CutmixOpt);
        Validate(() => options.Validate());
        if (batchSize < 1) throw new CliException($"--batch-size must be at least 1, not {batchSize}.");
        if (!(mixup >= 0) || !(cutmix >= 0)) throw new CliException($"--mixup and --cutmix are Beta alphas >= 0 (0 turns them off), not {mixup} and {cutmix}.");
        if (!RunData.AugNames.Contains(aug)) throw new CliException($"Unknown augmentation '{aug}': use one of {string.Join(", ", RunData.AugNames)}.");
        var tuning = FineTuning.Read(p, model, explicitModel: p.GetResult(ModelOpt) is { Implicit: false });
        if (tuning.Init is null) ModelCatalog.RequireImageModel(model, "train");

        Engine.EnsureNative();
        var runData = tuning.Normalized(RunData.Open(data, p.GetValue(ImageSizeOpt) ?? tuning.ImageSize, tuning.IsOnnx ? null : model, tuning.InChannels));
        int? subset = p.GetValue(DistributedRun.SubsetOpt);
        if (subset is { } n) runData = runData.WithSubset(n);
        if (runData.Train.Count < batchSize)
            throw new CliException($"The training set has {runData.Train.Count} images, fewer than one batch of {batchSize}: lower --batch-size.");
        var config = tuning.Apply(new RunConfig
        {
            Model = model,
            Data = data == RunData.FashionMnistName ? data : Path.GetFullPath(data),
            ImageSize = runData.ImageSize,
            Preprocess = runData.FixedSize ? RunConfig.WholeImage : RunConfig.CenterCrop,
            InChannels = runData.Channels,
            Classes = [.. runData.Train.Classes],
            Mean = [.. runData.Normalize.Mean],
            Std = [.. runData.Normalize.Std],
            Aug = aug,
            Mixup = mixup,
            Cutmix = cutmix,
            DropBlock = dropBlock,
            BatchSize = batchSize,
            Subset = subset,
            SyncBn = p.GetValue(DistributedRun.SyncBnOpt),
            Precision = p.GetValue(TrainPrecision.Opt),
            Seed = p.GetValue(SeedOpt),
            Trainer = options,
        });
        if (replicas?.IsRoot ?? true) WarnIfOneClass(runData);
        string dir = DistributedRun.FromRoot(replicas, () => RunFolder(p.GetValue(OutOpt), model));
        return Train(config, runData, dir, resume: false, p.GetValue(StopAtOpt), replicas, DistributedRun.BucketBytes(p), cancel);
    }

    private static int Resume(ParseResult p, string run, Replicas? replicas, CancellationToken cancel)
    {
        var given = RecipeOptions.Concat(DistributedRun.RecipeOptions).Where(o => p.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (given.Count > 0)
            throw new CliException($"--resume continues {run} with the settings in its config.json; leave out {string.Join(", ", given)}.");
        // Rank 0 reads the run folder: the other machines of a job need not have it.
        string text = DistributedRun.FromRoot(replicas, () =>
        {
            RunConfig.Load(run);
            return File.ReadAllText(RunConfig.PathIn(run));
        });
        var config = RunConfig.Parse(text, RunConfig.PathIn(run));
        RunNetwork.Require(config);
        TrainPrecision.Keep(p, config.Precision, run, speaks: replicas?.IsRoot ?? true);
        bool restart = DistributedRun.FromRoot(replicas, () => StrandedRun.Is(run) ? "restart" : "") == "restart";
        Engine.EnsureNative();
        var runData = RunData.Of(config);
        if (!runData.Train.Classes.SequenceEqual(config.Classes))
            throw new CliException($"The classes of {config.Data} are not the run's any more: [{string.Join(", ", runData.Train.Classes)}] instead of [{string.Join(", ", config.Classes)}].");
        if (config.Subset is { } n) runData = runData.WithSubset(n);
        if (restart && (replicas?.IsRoot ?? true))
        {
            Console.WriteLine($"{run} stopped before its first checkpoint was saved: training it again from the start, with its own settings.");
            StrandedRun.Clear(run, keepConfig: true);
        }
        return Train(config, runData, run, resume: true, p.GetValue(StopAtOpt), replicas, DistributedRun.BucketBytes(p), cancel, fromCheckpoint: !restart);
    }

    /// <summary>The value of <paramref name="option"/> if the user gave it, else null: a task applies its own default then.</summary>
    internal static T? Given<T>(ParseResult p, Option<T> option) where T : struct =>
        p.GetResult(option) is { Implicit: false } ? p.GetValue(option) : null;

    /// <inheritdoc cref="Given{T}(ParseResult, Option{T})"/>
    internal static string? Given(ParseResult p, Option<string> option) =>
        p.GetResult(option) is { Implicit: false } ? p.GetValue(option) : null;

    /// <summary>
    /// Refuses the shared options that <paramref name="task"/> does not read (e.g. --mixup for segmentation), so that
    /// nothing the user asked for is silently ignored.
    /// </summary>
    internal static void RefuseUnread(ParseResult p, string task, IReadOnlyCollection<Option> read)
    {
        var ignored = RecipeOptions.Concat(DistributedRun.RecipeOptions).Append(StopAtOpt).Append(TrainPrecision.Opt)
            .Where(o => !read.Contains(o) && p.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (ignored.Count > 0)
            throw new CliException($"--task {task} does not use {string.Join(", ", ignored)}.");
    }

    /// <summary>One class makes every prediction right: the accuracy would say 100% and mean nothing.</summary>
    private static void WarnIfOneClass(RunData data)
    {
        if (data.Train.Classes.Count == 1)
            Console.Error.WriteLine($"warning: the training data has one class ('{data.Train.Classes[0]}'), so every prediction is right and the accuracy means nothing; a classifier needs two classes or more.");
    }

    /// <summary>A new classification run of <paramref name="config"/> in <paramref name="dir"/>, in this process (a detection run's body).</summary>
    internal static int TrainNew(RunConfig config, RunData data, string dir, CancellationToken cancel) =>
        Train(config, data, dir, resume: false, stopAtPercent: null, replicas: null, bucketBytes: 0, cancel);

    /// <summary>
    /// Trains into <paramref name="dir"/>: a new run, or (<paramref name="resume"/>) a run folder of the user's, which is
    /// never removed, continued from its `last` checkpoint unless <paramref name="fromCheckpoint"/> is false.
    /// </summary>
    private static int Train(RunConfig config, RunData data, string dir, bool resume, double? stopAtPercent, Replicas? replicas, long bucketBytes, CancellationToken cancel, bool fromCheckpoint = true)
    {
        if (replicas is not null) DistributedRun.Agree(replicas, config, data, bucketBytes);
        using var model = RunNetwork.Create(config, unchecked((int)config.Seed));
        // A resumed run's checkpoint holds every weight; a new one (or one restarted from nothing) starts from --init.
        if (!(resume && fromCheckpoint)) FineTuning.LoadInit(model, config);
        if (replicas is not null && config.SyncBn) DistributedRun.SynchronizeBatchNorm(model, replicas);
        using var train = replicas is null ? data.TrainLoader(config) : data.TrainLoader(config, replicas.Rank, replicas.Count);
        using var test = data.TestLoader();
        // Rank 0 alone writes the run folder and the console.
        bool root = replicas?.IsRoot ?? true;
        bool created = root && !Directory.Exists(dir);
        using var trainer = new Trainer(model, train, test, config.Trainer, dir, config.ToJson()) { Replicas = replicas, BucketBytes = bucketBytes };
        if (!root)
        {
            trainer.Fit(cancel: cancel, stopAtAccuracy: stopAtPercent / 100);
            return 0;
        }
        try
        {
            if (resume && fromCheckpoint)
            {
                trainer.Resume();
                Console.WriteLine($"Resuming {dir} after epoch {trainer.State.Epoch} of {config.Trainer.Epochs}.");
            }
            else Directory.CreateDirectory(dir);
            Console.WriteLine(Header(config, data, model, dir));
            if (replicas is not null) Console.WriteLine(DistributedRun.Describe(replicas, config, bucketBytes));
            var result = TrainingProgress.Run(trainer, () => trainer.Fit(cancel: cancel, stopAtAccuracy: stopAtPercent / 100));
            if (result.EpochsDone < config.Trainer.Epochs && stopAtPercent is { } stop)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Stopped at epoch {result.EpochsDone} of {config.Trainer.Epochs}: the test accuracy reached {stop}% (--stop-at)."));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Test accuracy: {100 * (result.Last?.TestAccuracy ?? double.NaN):F2}% after {result.EpochsDone} epochs (best {100 * result.BestAccuracy:F2}% at epoch {result.BestEpoch})."));
            Console.WriteLine($"Run folder: {dir}");
            return 0;
        }
        catch (Exception e) when (e is OperationCanceledException or TrainingDivergedException || DiskFull.Is(e) || !resume)
        {
            bool kept = Checkpoint.Exists(dir, Trainer.Last);
            if (!kept && !resume) RemovePartialRun(dir, created);
            string where = kept
                ? $"The run folder {dir} keeps its checkpoint of epoch {Checkpoint.ReadState(dir, Trainer.Last).Epoch}; continue with: ctxnet train --resume {dir}"
                : $"Nothing was kept: the run stopped before its first checkpoint{(created ? $", and {dir} was removed" : "")}.";
            if (e is OperationCanceledException) throw new CliException($"Interrupted. {where}", ExitCodes.Interrupted);
            if (e is TrainingDivergedException) throw new CliException($"{e.Message}\n{where}", ExitCodes.Diverged);
            if (DiskFull.Is(e)) throw DiskFullMessage.For(dir, kept
                ? $"its checkpoint of epoch {Checkpoint.ReadState(dir, Trainer.Last).Epoch} is intact; free some space and continue with: ctxnet train --resume {dir}"
                : $"no checkpoint had been saved yet{(created && !resume ? $", and {dir} was removed" : "")}");
            throw;
        }
    }

    private static string Header(RunConfig c, RunData data, Module model, string dir) => string.Create(CultureInfo.InvariantCulture,
        $"""
        Model: {c.Model} ({model.ParameterCount:N0} parameters), {c.InChannels}x{c.ImageSize}x{c.ImageSize} input, {c.Classes.Length} classes
        Data: {data.Description}
        Recipe: {c.Trainer.Epochs} epochs, batch {c.BatchSize}, {c.Trainer.Optimizer} lr {c.Trainer.Lr} (warmup {c.Trainer.WarmupEpochs} epochs, cosine), weight decay {c.Trainer.WeightDecay}, aug {c.Aug}{(c.Mixup > 0 ? $", mixup {c.Mixup}" : "")}{(c.Cutmix > 0 ? $", cutmix {c.Cutmix}" : "")}{(c.Trainer.LabelSmoothing > 0 ? $", label smoothing {c.Trainer.LabelSmoothing}" : "")}{(c.Trainer.EmaDecay is { } ema ? $", EMA {ema}" : "")}{(c.DropBlock > 0 ? $", DropBlock {c.DropBlock}" : "")}, seed {c.Seed}; {Engine.Threads} threads
        {FineTuning.Describe(c, model)}Run folder: {dir}
        """);

    /// <summary>The folder to create: --out (which must not hold anything yet), or a new runs/MODEL-TIME.</summary>
    internal static string RunFolder(string? requested, string model)
    {
        if (requested is not null)
        {
            if (File.Exists(requested)) throw new CliException($"--out {requested} is a file, not a folder.");
            if (StrandedRun.Is(requested))
            {
                Console.WriteLine($"{requested} holds a run that stopped before its first checkpoint was saved: replacing it.");
                StrandedRun.Clear(requested, keepConfig: false);
            }
            if (Directory.Exists(requested) && Directory.EnumerateFileSystemEntries(requested).Any())
                throw new CliException($"--out {requested} already holds files: give a new or empty folder (or continue that run with --resume {requested}).");
            return requested;
        }
        string stem = Path.Combine("runs", $"{model}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        string dir = stem;
        for (int i = 2; Directory.Exists(dir); i++) dir = $"{stem}-{i}";
        return dir;
    }

    /// <summary>A run that ended before its first checkpoint leaves nothing behind: the folder, or what was written into a given empty one.</summary>
    internal static void RemovePartialRun(string dir, bool created)
    {
        if (!Directory.Exists(dir)) return;
        if (created)
        {
            Directory.Delete(dir, recursive: true);
            return;
        }
        foreach (var f in Directory.EnumerateFiles(dir)) File.Delete(f);
        foreach (var d in Directory.EnumerateDirectories(dir)) Directory.Delete(d, recursive: true);
    }

    private static void Validate(Action check)
    {
        try { check(); }
        catch (ArgumentException e) { throw new CliException(e.Message); }
    }
}
