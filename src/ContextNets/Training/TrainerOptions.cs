using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ContextNets.Training;

/// <summary>
/// The optimization recipe of a <see cref="Trainer"/>: the optimizer, a cosine
/// schedule with a linear warmup (stepped every update), label smoothing and
/// optional gradient clipping. The batch size, the seed and the augmentation
/// belong to the data loaders.
/// </summary>
public sealed record TrainerOptions
{
    public int Epochs { get; init; } = 10;

    /// <summary>"sgd" (momentum, optionally Nesterov, coupled decay) or "adamw".</summary>
    public string Optimizer { get; init; } = "sgd";

    public double Lr { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; } = true;
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>No weight decay on norm weights and biases (timm's rule).</summary>
    public bool NoDecayOnNormAndBias { get; init; } = true;

    /// <summary>The warmup's length in epochs (fractions allowed); it starts at Lr * <see cref="WarmupStartFactor"/>.</summary>
    public double WarmupEpochs { get; init; } = 1;

    public double WarmupStartFactor { get; init; } = 0.01;
    public double MinLr { get; init; }

    /// <summary>For batches without soft targets; mixed batches carry smoothing in their targets.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>Clip the global gradient 2-norm to this, when set.</summary>
    public double? ClipNorm { get; init; }

    /// <summary>
    /// When set, an exponential moving average of the weights (timm's ModelEmaV2, <see cref="ModelEma"/>) with this
    /// decay, updated after every step: evaluation and the `best` checkpoint use the averaged weights.
    /// </summary>
    public double? EmaDecay { get; init; }

    /// <summary>
    /// Fine-tuning: when set, every trainable parameter outside <see cref="Head"/> learns at Lr times this scale
    /// (a separate backbone learning rate); the head's learn at Lr.
    /// </summary>
    public double? BackboneLrScale { get; init; }

    /// <summary>
    /// The head's parameter names, or prefixes of them ending in a dot ("fc."), for <see cref="BackboneLrScale"/>; null
    /// without one (so that options without a backbone rate compare equal, as the array would not).
    /// </summary>
    public string[]? Head { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public JsonNode ToJson() => JsonSerializer.SerializeToNode(this, Json)!;

    public static TrainerOptions FromJson(JsonNode node) =>
        node.Deserialize<TrainerOptions>(Json) ?? throw new InvalidDataException("The trainer options in the run's config are empty.");

    /// <summary>Throws an ArgumentException naming the first bad value.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"The number of epochs must be at least 1, not {Epochs}.");
        if (Optimizer is not ("sgd" or "adamw")) throw new ArgumentException($"Unknown optimizer '{Optimizer}': use sgd or adamw.");
        if (!(Lr > 0) || !double.IsFinite(Lr)) throw new ArgumentException($"The learning rate must be a positive number, not {Lr}.");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"Momentum must be in [0, 1), not {Momentum}.");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"Weight decay must be >= 0, not {WeightDecay}.");
        if (!(WarmupEpochs >= 0) || WarmupEpochs >= Epochs) throw new ArgumentException($"Warmup ({WarmupEpochs} epochs) must be >= 0 and shorter than the run ({Epochs} epochs).");
        if (!(WarmupStartFactor is >= 0 and <= 1)) throw new ArgumentException($"The warmup start factor must be in [0, 1], not {WarmupStartFactor}.");
        if (!(MinLr >= 0) || MinLr > Lr) throw new ArgumentException($"The minimum learning rate must be in [0, lr], not {MinLr}.");
        if (!(LabelSmoothing is >= 0f and < 1f)) throw new ArgumentException($"Label smoothing must be in [0, 1), not {LabelSmoothing}.");
        if (ClipNorm is { } c && !(c > 0)) throw new ArgumentException($"The gradient clipping norm must be > 0, not {c}.");
        if (EmaDecay is { } d && !(d > 0 && d < 1)) throw new ArgumentException($"The EMA decay must be in (0, 1), not {d}.");
        if (BackboneLrScale is { } b && !(b > 0 && double.IsFinite(b))) throw new ArgumentException($"The backbone's learning rate must be a positive number, not {b * Lr}.");
        if (BackboneLrScale is not null && Head is not { Length: > 0 }) throw new ArgumentException("A backbone learning rate needs the head's parameters named, to tell them apart.");
    }
}
