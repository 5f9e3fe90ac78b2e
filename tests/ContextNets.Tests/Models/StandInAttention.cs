using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>
/// Test doubles with the parameters and keys of timm's attention modules, for parameter counts of the attention
/// ResNets apart from the real blocks; their forward is the identity.
/// </summary>
internal sealed class StandInAttention : Module
{
    private StandInAttention() { }

    /// <summary>timm SEModule: fc1 (C -> rd, bias), fc2 (rd -> C, bias), rd = C / 16 rounded to a multiple of 8 (at least 8).</summary>
    public static Module SqueezeExcite(int channels)
    {
        var m = new StandInAttention();
        int rd = Math.Max(8, (channels / 16 + 4) / 8 * 8);
        m.Register("fc1", new Conv2d(channels, rd, 1));
        m.Register("fc2", new Conv2d(rd, channels, 1));
        return m;
    }

    /// <summary>timm GlobalContext with attention pooling and fusion add: conv_attn (C -> 1, bias), mlp_add.{fc1, norm, fc2}, rd = C / reduction.</summary>
    public static Module GlobalContextAdd(int channels, int reduction)
    {
        var m = new StandInAttention();
        int rd = channels / reduction;
        m.Register("conv_attn", new Conv2d(channels, 1, 1));
        m.Register("mlp_add", new Sequential(new Conv2d(channels, rd, 1), new LayerNorm2d(rd), new Conv2d(rd, channels, 1)));
        return m;
    }

    public override Tensor Forward(Tensor x) => x;
}
