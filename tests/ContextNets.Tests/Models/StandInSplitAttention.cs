using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>
/// A test double with the parameters and keys of timm's SplitAttn (conv, bn0, fc1, bn1, fc2; radix 2,
/// rd_ratio 1/4, at least 32 inner channels, a multiple of 8), so that the backbone's structure and parameter
/// counts can be checked apart from the real block. Its forward sums the radix groups without the gate.
/// </summary>
internal sealed class StandInSplitAttention : Module
{
    private const int Radix = 2;
    private readonly Conv2d _conv;
    private readonly BatchNorm2d _bn0;
    private readonly int _out;

    public StandInSplitAttention(int inChannels, int outChannels, int stride, int groups)
    {
        _out = outChannels;
        int attn = Math.Max(32, (inChannels * Radix / 4 + 4) / 8 * 8);
        _conv = Register("conv", new Conv2d(inChannels, outChannels * Radix, 3, stride, 1, groups: groups * Radix, bias: false));
        _bn0 = Register("bn0", new BatchNorm2d(outChannels * Radix));
        Register("fc1", new Conv2d(outChannels, attn, 1, groups: groups));
        Register("bn1", new BatchNorm2d(attn));
        Register("fc2", new Conv2d(attn, outChannels * Radix, 1, groups: groups));
    }

    public static Module Create(int inChannels, int outChannels, int stride, int groups, int dilation) =>
        new StandInSplitAttention(inChannels, outChannels, stride, groups);

    public override Tensor Forward(Tensor x)
    {
        var u = F.Relu(_bn0.Forward(_conv.Forward(x)));
        var parts = F.Split(u, [_out, _out], 1);
        return F.Add(parts[0], parts[1]);
    }
}
