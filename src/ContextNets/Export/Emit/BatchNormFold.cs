using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// A convolution's weight and bias with the eval-mode BatchNorm after it folded in, computed in float64 as
/// ResNet.Prepare's folded convolutions are: w' = w g / sqrt(v + eps), b' = (b - m) g / sqrt(v + eps) + beta.
/// </summary>
internal static class BatchNormFold
{
    public static (float[] weight, float[] bias) Fold(Conv2d conv, BatchNorm2d? bn) => Fold(conv.Weight, conv.Bias, conv.OutChannels, bn);

    public static (float[] weight, float[] bias) Fold(Conv3d conv, BatchNorm3d? bn) => Fold(conv.Weight, conv.Bias, conv.OutChannels, bn);

    /// <summary>Any convolution's weight [out, ...] and bias: the fold is per output channel, whatever the kernel's rank.</summary>
    private static (float[] weight, float[] bias) Fold(Tensor weight, Tensor? convBias, int outChannels, BatchNorm? bn)
    {
        var w = weight.ToArray();
        var b0 = convBias?.ToArray();
        var bias = new float[outChannels];
        if (bn is not null && bn.Channels != outChannels)
            throw new InvalidOperationException($"A BatchNorm of {bn.Channels} channels cannot fold into a conv of {outChannels} outputs.");
        float[]? g = bn?.Weight.ToArray(), beta = bn?.Bias.ToArray(), mean = bn?.RunningMean.ToArray(), variance = bn?.RunningVar.ToArray();
        int perOut = w.Length / outChannels;
        for (int o = 0; o < outChannels; o++)
        {
            double scale = 1, shift = 0, b = b0?[o] ?? 0;
            if (bn is not null)
            {
                scale = g![o] / Math.Sqrt(variance![o] + (double)bn.Eps);
                shift = beta![o] - mean![o] * scale;
            }
            for (int i = 0; i < perOut; i++) w[o * perOut + i] = (float)(w[o * perOut + i] * scale);
            bias[o] = (float)(b * scale + shift);
        }
        return (w, bias);
    }
}
