namespace ContextNets.Training.Segmentation;

/// <summary>
/// How a segmenter is trained: SGD with momentum and weight decay (none on norms and biases), a poly or cosine
/// schedule after a linear warmup, the per-pixel cross-entropy (ignore index 255), and the augmentation of
/// <see cref="Data.Segmentation.SegmentationAugment.Train"/>: images resized to <see cref="BaseSize"/>, scaled by
/// [<see cref="MinScale"/>, <see cref="MaxScale"/>], cropped to <see cref="CropSize"/> and flipped. Evaluation runs on
/// the whole image at <see cref="BaseSize"/>. A record, so that a run's config.json holds it.
/// The defaults are `ctxnet train --task segment`'s (docs/segmentation.md, "Training"): a body trained from scratch
/// needs thousands of steps before it labels anything but background, so the output stride is 16 (a step costs about
/// half of one at 8) and 30 epochs of 125 steps at lr 0.1 fit in the CLI's time budget.
/// </summary>
public sealed record SegmentationRecipe
{
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 8;
    public double Lr { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 1e-4;
    public double WarmupEpochs { get; init; } = 1;

    /// <summary>"poly" (power 0.9, the DeepLab papers') or "cosine".</summary>
    public string Schedule { get; init; } = "poly";
    public int BaseSize { get; init; } = 128;
    public int CropSize { get; init; } = 96;
    public double MinScale { get; init; } = 0.75;
    public double MaxScale { get; init; } = 1.5;
    public int OutputStride { get; init; } = 16;
    public long Seed { get; init; } = 1;

    /// <summary>
    /// The weight of the aux head's loss (torchvision's reference: 0.5); 0, the default, builds no aux head and trains
    /// `out` alone. Runs written before it existed read as 0.
    /// </summary>
    public double AuxLossWeight { get; init; }

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"Epochs must be at least 1, not {Epochs}.");
        if (BatchSize < 1) throw new ArgumentException($"The batch size must be at least 1, not {BatchSize}.");
        if (!(Lr > 0)) throw new ArgumentException($"The learning rate must be positive, not {Lr}.");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"The weight decay must be >= 0, not {WeightDecay}.");
        if (!(WarmupEpochs >= 0) || WarmupEpochs >= Epochs) throw new ArgumentException($"The warmup ({WarmupEpochs} epochs) must be >= 0 and shorter than the run ({Epochs} epochs).");
        if (Schedule is not ("poly" or "cosine")) throw new ArgumentException($"The schedule is poly or cosine, not '{Schedule}'.");
        if (BaseSize < 32 || CropSize < 32) throw new ArgumentException($"The base and crop sizes must be at least 32 pixels, not {BaseSize} and {CropSize}.");
        if (!(MinScale > 0) || !(MaxScale >= MinScale)) throw new ArgumentException($"The scale range [{MinScale}, {MaxScale}] must be positive and ordered.");
        if (!(AuxLossWeight >= 0) || double.IsInfinity(AuxLossWeight)) throw new ArgumentException($"The aux loss weight must be finite and >= 0, not {AuxLossWeight}.");
        if (OutputStride is not (8 or 16 or 32)) throw new ArgumentException($"The output stride is 8, 16 or 32, not {OutputStride}.");
    }

    /// <summary>The learning rate schedule over <paramref name="stepsPerEpoch"/> steps per epoch.</summary>
    public LrSchedule CreateSchedule(long stepsPerEpoch)
    {
        long total = Epochs * stepsPerEpoch, warmup = (long)Math.Round(WarmupEpochs * stepsPerEpoch);
        return Schedule == "poly"
            ? new PolySchedule(Lr, total, 0.9, warmup, Lr * 0.01)
            : new CosineSchedule(Lr, total, warmup, Lr * 0.01);
    }
}
