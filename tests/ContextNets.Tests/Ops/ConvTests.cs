using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class ConvTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, bool> Cases => new()
    {
        // n, cin, cout, hw, k, stride, pad, dil, (groups in name via cin/cout below), bias
        { 2, 3, 4, 7, 3, 1, 1, 1, true },
        { 1, 4, 6, 8, 3, 2, 1, 1, false },
        { 2, 5, 3, 6, 1, 1, 0, 1, true },
        { 1, 4, 4, 9, 3, 1, 2, 2, true },
        { 2, 3, 2, 10, 7, 2, 3, 1, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(int n, int cin, int cout, int hw, int k, int stride, int pad, int dil, bool bias)
    {
        foreach (int groups in Groupings(cin, cout))
        {
            var (x, w, b) = Inputs(n, cin, cout, hw, k, groups, bias);
            var y = RefConv.Forward(x, w, b, stride, pad, dil, groups);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefConv.Backward(x, w, gy, stride, pad, dil, groups);
            var inputs = bias ? new[] { x, w, b! } : new[] { x, w };
            GradCheck.Verify(v => RefConv.Forward(v[0], v[1], bias ? v[2] : null, stride, pad, dil, groups), inputs, gy,
                bias ? [gx, gw, gb] : [gx, gw], $"conv2d g{groups}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(int n, int cin, int cout, int hw, int k, int stride, int pad, int dil, bool bias)
    {
        foreach (int groups in Groupings(cin, cout))
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (x, w, b) = Inputs(n, cin, cout, hw, k, groups, bias);
            var y = RefConv.Forward(x, w, b, stride, pad, dil, groups);
            var gy = RefTensor.Random(y.Shape, 7);
            var (gx, gw, gb) = RefConv.Backward(x, w, gy, stride, pad, dil, groups);
            var inputs = bias ? new[] { x, w, b! } : new[] { x, w };
            var (fy, grads) = Fast.ForwardBackward(t => F.Conv2d(t[0], t[1], bias ? t[2] : null, stride, pad, dil, groups), inputs, gy, format);
            string what = $"conv2d g{groups} {format}";
            Check.Close(y, fy, what: what + " y");
            Check.Close(gx, grads[0]!, 1e-4, 1e-5, what + " grad x");
            Check.Close(gw, grads[1]!, 1e-4, 1e-5, what + " grad w");
            if (bias) Check.Close(gb, grads[2]!, 1e-4, 1e-5, what + " grad b");
        }
    }

    [Fact]
    public void OutputIsInTheActivationLayout()
    {
        using var scope = Tensor.Scope();
        var y = F.Conv2d(Tensor.Randn([1, 3, 5, 5], 1), Tensor.Randn([8, 3, 3, 3], 2), padding: 1);
        Assert.Equal(Engine.ActivationFormat, y.Format);
    }

    [Fact]
    public void BadShapesAreRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([1, 4, 8, 8]);
        var ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([8, 1, 3, 3]), groups: 8));
        Assert.Contains("8 groups", ex.Message);
        Assert.Contains("[1, 4, 8, 8]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([8, 3, 3, 3])));
        Assert.Contains("[8, 3, 3, 3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([8, 4, 9, 9])));
        Assert.Contains("too small", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros([1, 4, 2, 2]), Tensor.Zeros([8, 4, 3, 3]), stride: 2));
        Assert.Contains("too small", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([8, 4, 3, 3]), Tensor.Zeros([7])));
        Assert.Contains("[7]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros([4, 8, 8]), Tensor.Zeros([8, 4, 3, 3])));
        Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([8, 4, 3, 3]), stride: 0));
    }

    private static IEnumerable<int> Groupings(int cin, int cout)
    {
        yield return 1;
        for (int g = 2; g <= cin; g++)
            if (cin % g == 0 && cout % g == 0) { yield return g; yield break; }
    }

    private static (RefTensor x, RefTensor w, RefTensor? b) Inputs(int n, int cin, int cout, int hw, int k, int groups, bool bias) =>
        (RefTensor.Random([n, cin, hw, hw], 1), RefTensor.Random([cout, cin / groups, k, k], 2, 0.5), bias ? RefTensor.Random([cout], 3) : null);
}
