namespace ContextNets;

/// <summary>The number format a prepared model's convolutions compute in.</summary>
public enum Precision
{
    /// <summary>32-bit floats throughout.</summary>
    Fp32,

    /// <summary>bfloat16 inputs and weights (8 significant bits), accumulated in f32.</summary>
    Bf16,

    /// <summary>Per-tensor quantized activations (u8 after a ReLU, s8 otherwise) and per-channel s8 weights, accumulated in s32.</summary>
    Int8,
}

/// <summary>An activation's int8 quantization: q = round(x / Scale), in u8 (0..255) when <paramref name="Unsigned"/>, else s8 (-127..127).</summary>
public readonly record struct ActivationQuantization(float Scale, bool Unsigned)
{
    /// <summary>The largest quantized magnitude: 255 for u8, 127 for symmetric s8.</summary>
    public int Levels => Unsigned ? 255 : 127;
}
