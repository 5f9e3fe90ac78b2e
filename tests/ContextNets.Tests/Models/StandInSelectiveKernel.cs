using ContextNets.NN;

namespace ContextNets.Tests.Models;

/// <summary>
/// A test double with the parameters and keys of timm's SelectiveKernel as skresnet18/34 configure it (two 3x3
/// paths of dilation 1 and 2 over halves of the input, rd_ratio 1/8 rounded to a multiple of 16): paths.{0,1}.conv,
/// paths.{0,1}.bn, attn.fc_reduce, attn.bn, attn.fc_select. Its forward sums the paths without the selection.
/// </summary>
internal sealed class StandInSelectiveKernel : Module
{
    private readonly Sequential _paths = new();
    private readonly int _half;

    public StandInSelectiveKernel(int inChannels, int outChannels, int stride)
    {
        _half = inChannels / 2;
        for (int d = 1; d <= 2; d++)
            _paths.Add(new Sequential(new Conv2d(_half, outChannels, 3, stride, d, d, bias: false), new BatchNorm2d(outChannels)));
        Register("paths", _paths);
        int attn = Math.Max(16, (outChannels / 8 + 8) / 16 * 16);
        Register("attn", new Sequential(new Conv2d(outChannels, attn, 1, bias: false), new BatchNorm2d(attn), new Conv2d(attn, outChannels * 2, 1, bias: false)));
    }

    public static Module Create(int inChannels, int outChannels, int stride, int groups, int dilation) =>
        new StandInSelectiveKernel(inChannels, outChannels, stride);

    public override Tensor Forward(Tensor x)
    {
        var halves = F.Split(x, [_half, _half], 1);
        return F.Add(F.Relu(_paths[0].Forward(halves[0])), F.Relu(_paths[1].Forward(halves[1])));
    }
}
