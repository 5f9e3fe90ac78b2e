using ContextNets.Backend.Dnnl;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Backend;

/// <summary>
/// The Winograd path of 3x3 stride-1 convolutions: oneDNN has its kernels for the ResNet shapes (else the conv tests
/// would only test the direct ones), and forward and both backwards match the reference with it on and off, ungrouped
/// and with 2 or 4 groups (one Winograd conv per group) or 8 (the direct grouped kernel).
/// </summary>
[Collection(EngineSwitchCollection.Name)]
public class WinogradTests
{
    [Theory]
    [InlineData(8, 64, 56)]
    [InlineData(8, 512, 7)]
    [InlineData(1, 128, 28)]
    [InlineData(2, 16, 28)]
    public void ResNetShapesGetWinogradKernelsForEveryPass(int n, int c, int size)
    {
        var g = new ConvGeometry(n, c, size, size, c, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        Assert.True(DnnlWinograd.Applies(g));
        foreach (var p in new[] { DnnlWinograd.Forward(g, hasBias: false, training: false, null), DnnlWinograd.Forward(g, hasBias: false, training: true, null),
                                  DnnlWinograd.BackwardData(g), DnnlWinograd.BackwardWeights(g, hasBias: false) })
        {
            Assert.NotNull(p);
            Assert.Contains("wino", p!.Implementation, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void OnlyThreeByThreeStrideOneUngroupedConvsQualify()
    {
        Assert.False(DnnlWinograd.Applies(new ConvGeometry(8, 64, 56, 56, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1)));
        Assert.False(DnnlWinograd.Applies(new ConvGeometry(8, 64, 56, 56, 64, 3, 3, 1, 1, 2, 2, 2, 2, 1)));
        Assert.False(DnnlWinograd.Applies(new ConvGeometry(8, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2)));
        Assert.False(DnnlWinograd.Applies(new ConvGeometry(8, 64, 56, 56, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1)));
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(2, 2, false)]
    [InlineData(3, 56, false)]
    [InlineData(56, 3, false)]
    [InlineData(4, 4, true)]
    [InlineData(7, 7, true)]
    public void MapsSmallerThanATileRunOnTheDirectKernels(int h, int w, bool winograd) =>
        Assert.Equal(winograd, DnnlWinograd.Applies(new ConvGeometry(8, 512, h, w, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1)));

    [Theory]
    [InlineData(true, MemoryFormat.ChannelsLast, 1)]
    [InlineData(true, MemoryFormat.Contiguous, 1)]
    [InlineData(false, MemoryFormat.ChannelsLast, 1)]
    [InlineData(true, MemoryFormat.ChannelsLast, 2)]
    [InlineData(true, MemoryFormat.Contiguous, 2)]
    [InlineData(true, MemoryFormat.ChannelsLast, 4)]
    [InlineData(true, MemoryFormat.ChannelsLast, 8)]
    public void ForwardAndBackwardMatchTheReference(bool winograd, MemoryFormat format, int groups)
    {
        var x = RefTensor.Random([2, 16, 12, 13], 1);
        var w = RefTensor.Random([24, 16 / groups, 3, 3], 2, 0.2);
        var b = RefTensor.Random([24], 3);
        var y = RefConv.Forward(x, w, b, stride: 1, pad: 1, dil: 1, groups: groups);
        var gy = RefTensor.Random(y.Shape, 4);
        var (gx, gw, gb) = RefConv.Backward(x, w, gy, stride: 1, pad: 1, dil: 1, groups: groups);
        bool before = Engine.Winograd;
        try
        {
            Engine.Winograd = winograd;
            var (fy, grads) = Fast.ForwardBackward(t => F.Conv2d(t[0], t[1], t[2], padding: 1, groups: groups), [x, w, b], gy, format);
            string what = $"3x3 conv, {groups} groups, winograd {winograd}, {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, what: what + " grad x");
            Check.Close(gw, grads[1]!, what: what + " grad w");
            Check.Close(gb, grads[2]!, what: what + " grad b");
        }
        finally
        {
            Engine.Winograd = before;
        }
    }
}
