using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextNets.Autograd;
using ContextNets.Data.Segmentation;
using ContextNets.Data.Transforms;
using ContextNets.Models.Segmentation;

namespace ContextNets.Training.Segmentation;

/// <summary>
/// Trains a segmenter by <see cref="SegmentationRecipe"/> into a run folder: after each epoch, the val scores, a row
/// of metrics.csv, and the `last` checkpoint (and `best`, by val mIoU). The data order and the augmentation of epoch e
/// are drawn from (seed, e) and (seed, e, image) alone, so a run resumed from an epoch's checkpoint continues exactly.
/// </summary>
public sealed class SegmentationTrainer : IDisposable
{
    public const string Last = "last", Best = "best", MetricsFile = "metrics.csv";
    private const long OrderStream = 0x5E6_0001, AugmentStream = 0x5E6_0002, NoiseStream = 0x5E6_0003;

    private readonly Segmenter _model;
    private readonly ISegmentationSet _train, _val;
    private readonly SegmentationRecipe _recipe;
    private readonly Sgd _optimizer;
    private readonly LrSchedule _schedule;
    private readonly long _stepsPerEpoch;

    public SegmentationTrainer(Segmenter model, ISegmentationSet train, ISegmentationSet val, SegmentationRecipe recipe, string directory, JsonObject config)
    {
        recipe.Validate();
        if (train.Count < recipe.BatchSize)
            throw new ArgumentException($"The training set has {train.Count} images, fewer than one batch of {recipe.BatchSize}.");
        if (recipe.AuxLossWeight > 0 && !model.HasAux)
            throw new ArgumentException($"The recipe's aux loss weight {recipe.AuxLossWeight} needs a segmenter with its aux head.");
        _model = model;
        _train = train;
        _val = val;
        _recipe = recipe;
        Directory = directory;
        _stepsPerEpoch = train.Count / recipe.BatchSize;
        _schedule = recipe.CreateSchedule(_stepsPerEpoch);
        _optimizer = new Sgd(ParamGroups.NoDecayOnNormAndBias(model, recipe.WeightDecay), recipe.Lr, recipe.Momentum);
        State = new TrainingState { Schedule = _schedule, Config = config };
    }

    public string Directory { get; }
    public TrainingState State { get; private set; }

    /// <summary>Each finished epoch's line, for the console.</summary>
    public Action<string>? Report { get; set; }

    /// <summary>Loads the `last` checkpoint of the run folder into the model and optimizer; the schedule must be the run's.</summary>
    public void Resume()
    {
        var saved = Checkpoint.ReadState(Directory, Last);
        if (saved.Schedule != _schedule)
            throw new InvalidDataException($"The checkpoint's schedule ({saved.Schedule}) is not this run's ({_schedule}).");
        State = Checkpoint.Load(Directory, Last, _model, _optimizer);
    }

    /// <summary>Trains the remaining epochs; cancellation is honoured between steps (the last checkpoint stays the previous epoch's).</summary>
    public SegmentationScore? Fit(CancellationToken cancel = default)
    {
        SegmentationScore? score = null;
        System.IO.Directory.CreateDirectory(Directory);
        if (State.Epoch == 0) File.WriteAllText(Path.Combine(Directory, MetricsFile), "epoch,train_loss,val_miou,val_pixel_accuracy,seconds\n");
        while (State.Epoch < _recipe.Epochs)
        {
            var clock = Stopwatch.StartNew();
            double loss = TrainEpoch(State.Epoch, cancel);
            score = Evaluate(_model, _val, _recipe.BaseSize, _recipe.BatchSize);
            State.Epoch++;
            double best = State.Metrics.GetValueOrDefault("best_miou", double.NegativeInfinity);
            if (score.MeanIoU > best) State.Metrics["best_miou"] = score.MeanIoU;
            string row = string.Create(CultureInfo.InvariantCulture, $"{State.Epoch},{loss:G6},{score.MeanIoU:G6},{score.PixelAccuracy:G6},{clock.Elapsed.TotalSeconds:F1}");
            File.AppendAllText(Path.Combine(Directory, MetricsFile), row + "\n");
            Checkpoint.Save(Directory, Last, _model, State, _optimizer);
            if (score.MeanIoU > best) Checkpoint.Save(Directory, Best, _model, State);
            Report?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"epoch {State.Epoch}/{_recipe.Epochs}: train loss {loss:F4}, val mIoU {100 * score.MeanIoU:F2}%, pixel accuracy {100 * score.PixelAccuracy:F2}% ({clock.Elapsed.TotalSeconds:F0} s)"));
        }
        return score;
    }

    private double TrainEpoch(int epoch, CancellationToken cancel)
    {
        _model.Train();
        var order = Enumerable.Range(0, _train.Count).ToArray();
        Rng.For(_recipe.Seed, OrderStream, epoch).Shuffle(order.AsSpan());
        double sum = 0;
        for (long step = 0; step < _stepsPerEpoch; step++)
        {
            cancel.ThrowIfCancellationRequested();
            var views = new LabeledImage[_recipe.BatchSize];
            for (int i = 0; i < views.Length; i++)
            {
                int index = order[step * _recipe.BatchSize + i];
                views[i] = SegmentationAugment.Train(_train[index], _recipe.BaseSize, _recipe.CropSize, _recipe.MinScale, _recipe.MaxScale,
                    Rng.For(_recipe.Seed, AugmentStream, epoch, index));
            }
            SeedNoise(State.Step);
            using var scope = Tensor.Scope();
            var (images, labels) = SegmentationBatch.Make(views, Normalize.ImageNet);
            var loss = SegmentationLoss.Compute(_model, images, labels, _recipe.AuxLossWeight);
            double value = loss.Item();
            LossGuard.Check(value, State.Step);
            _schedule.Apply(_optimizer, State.Step);
            loss.Backward();
            _optimizer.Step();
            _optimizer.ZeroGrad();
            State.Step++;
            sum += value;
        }
        return sum / _stepsPerEpoch;
    }

    /// <summary>Seeds every random layer (dropout, DropBlock) from the run's seed and the step, so that a resumed run draws the same masks.</summary>
    private void SeedNoise(long step)
    {
        int index = 0;
        foreach (var (_, module) in _model.NamedModules())
            if (module is NN.INoiseSource noisy) noisy.SeedNoise((long)Rng.For(_recipe.Seed, NoiseStream, step, index++).NextUInt64());
    }

    /// <summary>mIoU and pixel accuracy of <paramref name="model"/> over <paramref name="set"/>, each image resized to <paramref name="side"/> (eval mode).</summary>
    public static SegmentationScore Evaluate(Segmenter model, ISegmentationSet set, int side, int batchSize)
    {
        model.Eval();
        var matrix = new ConfusionMatrix(model.Classes, LabeledImage.Ignore);
        using var noGrad = GradMode.NoGrad();
        for (int start = 0; start < set.Count; start += batchSize)
        {
            var views = Enumerable.Range(start, Math.Min(batchSize, set.Count - start)).Select(i => SegmentationAugment.ToSide(set[i], side)).ToList();
            using var scope = Tensor.Scope();
            var (images, labels) = SegmentationBatch.Make(views, Normalize.ImageNet);
            matrix.Add(ClassMaps.ArgMax(model.Forward(images)), labels);
        }
        return new SegmentationScore(matrix.MeanIoU, matrix.PixelAccuracy, matrix.IoU());
    }

    public void Dispose() => _optimizer.Dispose();
}

/// <summary>A segmenter's scores on a set: mean IoU, pixel accuracy, and the IoU of each class (NaN where it never occurs).</summary>
public sealed record SegmentationScore(double MeanIoU, double PixelAccuracy, double[] ClassIoU);
