namespace ContextNets.Models.Inference;

/// <summary>How an int8 calibration turns the observed activations of a conv's input into its scale.</summary>
public enum CalibrationMethod
{
    /// <summary>The largest magnitude seen: nothing clips, the step is widest.</summary>
    MinMax,

    /// <summary>The <see cref="InferenceOptions.Percentile"/> percentile of the magnitudes: a few outliers clip, the step narrows.</summary>
    Percentile,

    /// <summary>The range whose 8-bit quantization keeps the histogram of |x| closest in KL divergence (TensorRT's entropy calibration).</summary>
    Entropy,
}

/// <summary>
/// What <c>ResNet.Prepare</c> builds: f32 (the default), bf16, or int8 after calibration. The attention blocks' own
/// small MLPs, softmaxes and LayerNorms, the pooling and the classifier stay f32 in every precision; the folded convs
/// (the backbone's, split attention's and selective kernel's) take the precision.
/// </summary>
public sealed class InferenceOptions
{
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>
    /// Int8: images [N, C, H, W] like those the model will see (a few hundred training images serve). Their
    /// activations fix every conv's input scale. Not needed when <see cref="Quantization"/> is given.
    /// </summary>
    public Tensor? Calibration { get; init; }

    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>With <see cref="CalibrationMethod.Percentile"/>: the percentile of |x| that becomes the top of the range.</summary>
    public double Percentile { get; init; } = 99.99;

    /// <summary>Calibration images per forward pass.</summary>
    public int CalibrationBatchSize { get; init; } = 64;

    /// <summary>
    /// A conv whose int8 output falls below this signal-to-quantization-noise ratio against its f32 output (in dB, on
    /// the first calibration batch) runs in f32 instead. 0 keeps every conv in int8.
    /// </summary>
    public double MinSqnrDb { get; init; } = 20;

    /// <summary>
    /// Int8 only: the attention blocks' own convs and matmuls in simulated int8 as well (s8 weights per output channel,
    /// the block's input map rounded to 8 bits with its own per-tensor scale; <see cref="AttentionInt8Step"/>), with
    /// each block's error in <see cref="InferenceModel.AttentionErrors"/>. Off by default: measured in docs/precision.md.
    /// </summary>
    public bool Int8Attention { get; init; }

    /// <summary>Int8 scales saved earlier (<see cref="QuantizationTable.Read"/>): the model is quantized with them, without calibration.</summary>
    public QuantizationTable? Quantization { get; init; }
}
