using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>
/// A convolution's weight and bias with the eval-mode BatchNorm after it folded in, computed in float64 as
/// ResNet.Prepare's folded convolutions are: w' = w g / sqrt(v + eps), b' = (b - m) g / sqrt(v + eps) + beta.
/// </summary>
internal static class BatchNormFold
{
    public static (float[] weight, float[] bias) Fold(Conv2d conv, BatchNorm2d? bn)
    {
        var w = conv.Weight.ToArray();
        var b0 = conv.Bias?.ToArray();
        var bias = new float[conv.OutChannels];
        if (bn is not null && bn.Channels != conv.OutChannels)
            throw new InvalidOperationException($"A BatchNorm of {bn.Channels} channels cannot fold into a conv of {conv.OutChannels} outputs.");
        float[]? g = bn?.Weight.ToArray(), beta = bn?.Bias.ToArray(), mean = bn?.RunningMean.ToArray(), variance = bn?.RunningVar.ToArray();
        int perOut = w.Length / conv.OutChannels;
        for (int o = 0; o < conv.OutChannels; o++)
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
