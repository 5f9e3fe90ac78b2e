using System.Text.Json.Nodes;

namespace ContextNets.Training;

/// <summary>
/// Everything besides tensors that a resumed run needs to continue exactly
/// where the saved one stood; it goes into the checkpoint's JSON.
/// </summary>
public sealed class TrainingState
{
    /// <summary>Optimizer updates done; the schedule's position (LrAt(Step) is the next update's rate).</summary>
    public long Step { get; set; }

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; set; }

    /// <summary>Batches already consumed in the current epoch (0 when the checkpoint falls on an epoch boundary).</summary>
    public long StepInEpoch { get; set; }

    /// <summary>Named generator states (<see cref="Rng.SaveState"/>): data order, augmentation, dropout...</summary>
    public Dictionary<string, string> Rng { get; set; } = [];

    /// <summary>Scalars the run tracks across epochs (best accuracy so far, ...).</summary>
    public Dictionary<string, double> Metrics { get; set; } = [];

    /// <summary>The key of the best test accuracy so far in <see cref="Metrics"/>.</summary>
    internal const string BestAccuracyKey = "best_test_acc";

    /// <summary>The best test accuracy so far, in [0, 1]; NaN before the first evaluation.</summary>
    public double BestAccuracy => Metrics.GetValueOrDefault(BestAccuracyKey, double.NaN);

    public LrSchedule? Schedule { get; set; }

    /// <summary>The run's configuration, as the trainer wrote it.</summary>
    public JsonObject? Config { get; set; }
}
