using System.Runtime.InteropServices;
using ContextNets.Export.Proto;

namespace ContextNets.Export.Emit;

/// <summary>
/// A folded conv of an int8 prepared model in ONNX's QDQ form, the form ONNX Runtime turns into QLinearConv:
/// its input goes through QuantizeLinear and DequantizeLinear with the calibrated per-tensor scale (u8 with zero
/// point 0 after a ReLU, s8 otherwise), its weights are s8 per output channel (axis 0) behind a DequantizeLinear, and
/// its bias is s32 in the accumulator's units (scale s_x s_w[o]) behind another. The weights are quantized by the same
/// code as the prepared model's kernel (<see cref="LowPrecisionConv.WeightScales"/>), so both hold the same integers.
/// The bias is rounded to an integer here, as QLinearConv requires, where the prepared model keeps its fraction: the
/// one difference between the two, at most half a unit of s_x s_w[o] per output.
/// </summary>
internal static class QdqConv
{
    /// <summary>x as the int8 conv sees it: Q then DQ, shared by every conv that reads x with the same quantization.</summary>
    public static OnnxValue Input(OnnxGraph g, string path, OnnxValue x, ActivationQuantization q)
    {
        if (g.FakeQuantized.TryGetValue((x.Name, q), out var shared)) return shared;
        string scale = g.Weights(path + ".input_scale", [q.Scale]);
        string zero = q.Unsigned
            ? g.Raw(path + ".input_zero_point", TensorProto.Types.DataType.Uint8, [0])
            : g.Raw(path + ".input_zero_point", TensorProto.Types.DataType.Int8, [0]);
        var quantized = g.Op("QuantizeLinear", path, x.Dims, [x.Name, scale, zero]);
        return g.FakeQuantized[(x.Name, q)] = g.Op("DequantizeLinear", path, x.Dims, [quantized.Name, scale, zero]);
    }

    /// <summary>The dequantized s8 weights and s32 bias of a folded conv whose input has the scale <paramref name="inputScale"/>.</summary>
    public static (string weight, string bias) Parameters(OnnxGraph g, string path, float[] weight, int[] dims, float[] bias, float inputScale)
    {
        int cout = dims[0];
        var weightScales = LowPrecisionConv.WeightScales(weight, cout);
        var quantized = new sbyte[weight.Length];
        LowPrecisionConv.QuantizeWeights(weight, weightScales, quantized);
        var biasScales = new float[cout];
        var biasQuantized = new int[cout];
        for (int o = 0; o < cout; o++)
        {
            biasScales[o] = inputScale * weightScales[o];
            double units = Math.Round(bias[o] / (double)biasScales[o], MidpointRounding.ToEven);
            biasQuantized[o] = (int)Math.Clamp(units, int.MinValue + 1, int.MaxValue);
        }
        string w = g.Raw(path + ".weight_quantized", TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(quantized.AsSpan()), dims);
        string wScale = g.Weights(path + ".weight_scale", weightScales, cout);
        string wZero = g.Raw(path + ".weight_zero_point", TensorProto.Types.DataType.Int8, new byte[cout], cout);
        string b = g.Raw(path + ".bias_quantized", TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(biasQuantized.AsSpan()), cout);
        string bScale = g.Weights(path + ".bias_scale", biasScales, cout);
        string bZero = g.Raw(path + ".bias_zero_point", TensorProto.Types.DataType.Int32, new byte[4 * cout], cout);
        var wDq = g.Op("DequantizeLinear", path, dims, [w, wScale, wZero], OnnxAttr.Int("axis", 0));
        var bDq = g.Op("DequantizeLinear", path, [cout], [b, bScale, bZero], OnnxAttr.Int("axis", 0));
        return (wDq.Name, bDq.Name);
    }
}
