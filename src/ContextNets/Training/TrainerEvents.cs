namespace ContextNets.Training;

/// <summary>Where a training epoch stands after a step: running means over the epoch so far. Epoch is 0-based.</summary>
public readonly record struct StepProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double ImagesPerSecond, double Lr);

/// <summary>Loss and accuracy over a whole dataset.</summary>
public readonly record struct EvalResult(double Loss, double Accuracy, int Samples, double Seconds);

/// <summary>How a <see cref="Trainer.Fit"/> call ended.</summary>
public sealed record TrainResult(int EpochsDone, int Epochs, double BestAccuracy, int BestEpoch, EpochMetrics? Last, string Directory);
