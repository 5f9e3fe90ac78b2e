using System.Diagnostics;
using System.Text.Json.Nodes;
using ContextNets.Autograd;
using ContextNets.Data;
using ContextNets.IO;
using ContextNets.NN;
using ContextNets.Training.Distributed;

namespace ContextNets.Training;

/// <summary>
/// Trains a classifier for a number of epochs into a run folder: each step in
/// its own tensor scope (so memory stays flat), an evaluation after each epoch,
/// then metrics.csv and chart.png, the `best` checkpoint when the test accuracy
/// improved and the `last` checkpoint (model, optimizer, schedule position,
/// epoch). The loaders derive every random draw from (seed, epoch), so a run
/// resumed from `last` continues bit-identically. A non-finite loss, or one that
/// explodes past <see cref="LossGuard.ExplosionFactor"/> times the first step's,
/// stops the run with <see cref="TrainingDivergedException"/> before anything is
/// saved, so the last checkpoint on disk stays the last good one.
/// </summary>
public sealed class Trainer : IDisposable
{
    public const string Last = "last", Best = "best", ConfigFile = "config.json";
    private const string BestEpochKey = "best_epoch";

    /// <summary>The stream of <see cref="Rng.For"/> that seeds a model's own noise (DropBlock), apart from the data's streams.</summary>
    private const long NoiseStream = 0x6e6f697365;

    private readonly Module _model;
    private readonly DataLoader _train, _test;
    private readonly Optimizer _optimizer;
    private readonly ModelEma? _ema;
    private readonly LrSchedule _schedule;
    private readonly JsonObject _config;
    private readonly List<EpochMetrics> _history = [];
    private DataParallel? _parallel;
    private double? _firstLoss;

    /// <summary>
    /// A trainer for <paramref name="model"/> on the <paramref name="train"/> batches, evaluated on <paramref name="test"/>,
    /// writing into <paramref name="directory"/>; <paramref name="config"/> is what the caller wants in config.json
    /// besides the trainer's <paramref name="options"/> (model, data...).
    /// </summary>
    public Trainer(Module model, DataLoader train, DataLoader test, TrainerOptions options, string directory, JsonObject? config = null)
    {
        options.Validate();
        _model = model;
        _train = train;
        _test = test;
        Options = options;
        Directory = directory;
        long perEpoch = train.BatchCount, total = perEpoch * options.Epochs;
        _schedule = new CosineSchedule(options.Lr, total, (long)Math.Round(options.WarmupEpochs * perEpoch),
            options.Lr * options.WarmupStartFactor, options.MinLr);
        _optimizer = CreateOptimizer(model, options);
        _ema = options.EmaDecay is { } decay ? new ModelEma(model, decay) : null;
        _config = (JsonObject?)config?.DeepClone() ?? [];
        _config["trainer"] = options.ToJson();
        _config["batch_size"] = train.Options.BatchSize;
        _config["seed"] = train.Options.Seed;
        _config["steps_per_epoch"] = perEpoch;
        _config["train_samples"] = train.Count;
        _config["test_samples"] = test.Count;
        State = new TrainingState { Schedule = _schedule, Config = _config };
    }

    /// <summary>The options' optimizer over the model's trainable parameters, with the backbone's own learning rate when set.</summary>
    private static Optimizer CreateOptimizer(Module model, TrainerOptions options)
    {
        var groups = options.NoDecayOnNormAndBias ? ParamGroups.NoDecayOnNormAndBias(model, options.WeightDecay) : ParamGroups.All(model, options.WeightDecay);
        if (options is { BackboneLrScale: { } scale, Head: { } head }) groups = ParamGroups.WithBackboneLr(groups, name => IsHead(name, head), scale);
        return options.Optimizer == "adamw"
            ? new AdamW(groups, options.Lr)
            : new Sgd(groups, options.Lr, options.Momentum, options.Nesterov && options.Momentum > 0);
    }

    private static bool IsHead(string name, string[] head) =>
        head.Any(h => h.EndsWith('.') ? name.StartsWith(h, StringComparison.Ordinal) : name == h);

    public TrainerOptions Options { get; }
    public string Directory { get; }
    public TrainingState State { get; private set; }
    public Optimizer Optimizer => _optimizer;
    public int StepsPerEpoch => _train.BatchCount;
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>
    /// Data-parallel training: this process is one of these replicas, its loaders give it its shard of every batch, and
    /// only rank 0 writes into <see cref="Directory"/>. Rank 0 resumes; the others start from what it broadcasts.
    /// </summary>
    public Replicas? Replicas { get; init; }

    /// <summary>The size of a gradient bucket that starts its allreduce as soon as backward has filled it.</summary>
    public long BucketBytes { get; init; } = 25L << 20;

    private bool Writes => Replicas?.IsRoot ?? true;

    /// <summary>After each training step.</summary>
    public Action<StepProgress>? StepDone { get; set; }

    /// <summary>When an epoch's evaluation starts (0-based epoch).</summary>
    public Action<int>? Evaluating { get; set; }

    /// <summary>After an epoch's row and checkpoints are written.</summary>
    public Action<EpochMetrics>? EpochDone { get; set; }

    public string MetricsPath => Path.Combine(Directory, MetricsCsv.FileName);
    public string ChartPath => Path.Combine(Directory, TrainingChart.FileName);

    /// <summary>
    /// Loads the `last` checkpoint of <see cref="Directory"/> into the model and optimizer and continues its
    /// epoch and step count. The run must have been made with the same schedule, batch size and seed.
    /// </summary>
    public void Resume()
    {
        if (!Checkpoint.Exists(Directory, Last))
            throw new FileNotFoundException($"{Directory} has no '{Last}' checkpoint to resume from (no {Last}.json): the run ended before its first epoch.");
        // Check the recipe before anything is copied into the model.
        var manifest = Checkpoint.ReadState(Directory, Last);
        if (manifest.Schedule != _schedule)
            throw new InvalidDataException($"The checkpoint's schedule ({manifest.Schedule}) is not this run's ({_schedule}): resume with the run's own epochs, lr and batch size.");
        foreach (var key in new[] { "batch_size", "seed" })
            if (manifest.Config?[key]?.ToJsonString() != _config[key]?.ToJsonString())
                throw new InvalidDataException($"The checkpoint was trained with {key} {manifest.Config?[key]}, this run has {_config[key]}: the data would not continue as it was.");
        State = Checkpoint.Load(Directory, Last, _model, _optimizer, _ema);
        _history.Clear();
        if (File.Exists(MetricsPath)) _history.AddRange(MetricsCsv.Read(MetricsPath).Where(r => r.Epoch <= State.Epoch));
    }

    /// <summary>
    /// Trains from the current epoch to <see cref="TrainerOptions.Epochs"/> (or to <paramref name="stopAfterEpoch"/>
    /// epochs done, or to the first epoch whose test accuracy reaches <paramref name="stopAtAccuracy"/>, a fraction).
    /// Cancellation is honoured between steps; the last checkpoint then stays the previous epoch's.
    /// </summary>
    public TrainResult Fit(int? stopAfterEpoch = null, CancellationToken cancel = default, double? stopAtAccuracy = null)
    {
        if (Replicas is not null && _parallel is null)
        {
            _parallel = new DataParallel(Replicas, _model, _optimizer, _test, BucketBytes);
            _parallel.ShareInitialState(State);
        }
        if (Writes) System.IO.Directory.CreateDirectory(Directory);
        if (Writes && State.Epoch == 0 && Checkpoint.Exists(Directory, Last))
            throw new InvalidOperationException($"{Directory} already holds a trained run: resume it, or train into another folder.");
        if (Writes && !File.Exists(Path.Combine(Directory, ConfigFile)))
            AtomicFile.Write(Path.Combine(Directory, ConfigFile), s => s.Write(System.Text.Encoding.UTF8.GetBytes(_config.ToJsonString(TrainerOptions.Json) + "\n")));
        int end = Math.Min(Options.Epochs, stopAfterEpoch ?? Options.Epochs);
        for (int epoch = State.Epoch; epoch < end; epoch++)
        {
            RunEpoch(epoch, cancel);
            if (_history[^1].TestAccuracy >= stopAtAccuracy) break;
        }
        return new TrainResult(State.Epoch, Options.Epochs, BestAccuracy, (int)State.Metrics.GetValueOrDefault(BestEpochKey), _history.LastOrDefault(), Directory);
    }

    private double BestAccuracy => State.BestAccuracy;

    private void RunEpoch(int epoch, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        double lossSum = 0, lr = _optimizer.LearningRate;
        long seen = 0, correct = 0;
        int batches = _train.BatchCount, b = 0;
        _model.Train();
        foreach (var batch in _train.Epoch(epoch))
            using (batch)
            {
                cancel.ThrowIfCancellationRequested();
                using (Tensor.Scope())
                {
                    _schedule.Apply(_optimizer, State.Step);
                    (_model as INoiseSource)?.SeedNoise((long)Rng.For(_train.Options.Seed, NoiseStream, State.Step).NextUInt64());
                    lr = _optimizer.LearningRate;
                    var logits = _model.Forward(batch.Images);
                    var loss = batch.Targets is { } soft ? F.CrossEntropy(logits, soft) : F.CrossEntropy(logits, batch.Labels, Options.LabelSmoothing);
                    double value = loss.Item();
                    LossGuard.Check(value, State.Step, _firstLoss);
                    _firstLoss ??= value;
                    loss.Backward();
                    _parallel?.AverageGradients();
                    if (Options.ClipNorm is { } clip) GradClip.ClipGlobalNorm(_optimizer, clip);
                    _optimizer.Step();
                    _optimizer.ZeroGrad();
                    _ema?.Update(_model);
                    State.Step++;
                    lossSum += value * batch.Count;
                    correct += Classification.CountCorrect(logits, batch.Labels);
                    seen += batch.Count;
                }
                b++;
                // Ranks step together: the job's rate is this rank's times the ranks (the running loss is this rank's).
                StepDone?.Invoke(new StepProgress(epoch, Options.Epochs, b, batches, lossSum / seen, (double)correct / seen, seen * (_parallel?.Count ?? 1) / clock.Elapsed.TotalSeconds, lr));
            }
        double trainSeconds = clock.Elapsed.TotalSeconds;
        if (_parallel is not null)
        {
            (lossSum, correct, seen) = _parallel.Sum(lossSum, correct, seen);
            _parallel.ShareBuffers();
        }

        Evaluating?.Invoke(epoch);
        // With an EMA, the averaged weights are the ones evaluated and kept as `best`; the trained ones come back after.
        using var trained = _ema is null ? null : new WeightsStash(_model);
        _ema?.CopyTo(_model);
        var eval = _parallel?.Evaluate(cancel) ?? Evaluate(_model, _test, cancel);
        // Weights ruined by the epoch's last update show here first: nothing of them may reach a checkpoint.
        LossGuard.Check(eval.Loss, State.Step, _firstLoss);
        _model.Train();

        var row = new EpochMetrics(epoch + 1, lossSum / seen, (double)correct / seen, eval.Loss, eval.Accuracy, lr, clock.Elapsed.TotalSeconds, seen / trainSeconds);
        _history.Add(row);
        State.Epoch = epoch + 1;
        State.StepInEpoch = 0;
        if (!Writes)
        {
            EpochDone?.Invoke(row);
            return;
        }
        // The row goes in before the checkpoint that covers it: a resume drops rows past its epoch, never lacks one.
        MetricsCsv.Write(MetricsPath, _history);
        TrainingChart.Write(ChartPath, _history);
        if (!(eval.Accuracy <= BestAccuracy))
        {
            State.Metrics[TrainingState.BestAccuracyKey] = eval.Accuracy;
            State.Metrics[BestEpochKey] = epoch + 1;
            Checkpoint.Save(Directory, Best, _model, State);
        }
        trained?.Restore();
        Checkpoint.Save(Directory, Last, _model, State, _optimizer, _ema);
        EpochDone?.Invoke(row);
    }

    /// <summary>Mean loss (no smoothing) and accuracy of <paramref name="model"/> on every batch of epoch 0 of <paramref name="loader"/>, in eval mode and without a graph.</summary>
    public static EvalResult Evaluate(Module model, DataLoader loader, CancellationToken cancel = default, Action<int, int>? progress = null)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            return Evaluate(model.Forward, loader, cancel, progress);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>The same for any logits function, such as a prepared model's Predict.</summary>
    public static EvalResult Evaluate(Func<Tensor, Tensor> logitsOf, DataLoader loader, CancellationToken cancel = default, Action<int, int>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0;
        int seen = 0, b = 0;
        using var noGrad = GradMode.NoGrad();
        foreach (var batch in loader.Epoch(0))
            using (batch)
            using (Tensor.Scope())
            {
                cancel.ThrowIfCancellationRequested();
                var logits = logitsOf(batch.Images);
                lossSum += F.CrossEntropy(logits, batch.Labels).Item() * batch.Count;
                correct += Classification.CountCorrect(logits, batch.Labels);
                seen += batch.Count;
                progress?.Invoke(++b, loader.BatchCount);
            }
        return new EvalResult(lossSum / seen, (double)correct / seen, seen, clock.Elapsed.TotalSeconds);
    }

    public void Dispose()
    {
        _parallel?.Dispose();
        _optimizer.Dispose();
        _ema?.Dispose();
    }
}
