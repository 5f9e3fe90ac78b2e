using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class Pool3dTests
{
    // The NL paper's pools (1x3x3 stride 1x2x2 after the stem, 3x1x1 / 2x1x1 temporal ones) and a padded cube.
    public static TheoryData<int[], int[], int[], int[]> Cases => new()
    {
        // x shape, kernel, stride, padding
        { [2, 3, 4, 7, 7], [1, 3, 3], [1, 2, 2], [0, 1, 1] },
        { [1, 4, 8, 3, 3], [3, 1, 1], [2, 1, 1], [1, 0, 0] },
        { [1, 2, 4, 4, 5], [2, 1, 1], [2, 1, 1], [0, 0, 0] },
        { [1, 3, 5, 5, 5], [3, 3, 3], [2, 2, 2], [1, 1, 1] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPoolMatchesReference(int[] xs, int[] k, int[] s, int[] p)
    {
        var g = Window(s, p);
        // Distinct values, so that the maximum of each window (and the gradient's route) is unambiguous.
        var x = Distinct(xs);
        var (y, argmax) = RefPool3d.MaxForward(x, k, g);
        var gy = RefTensor.Random(y.Shape, 5);
        var gx = RefPool3d.MaxBackward(x.Shape, argmax, gy);
        GradCheck.Verify(v => RefPool3d.MaxForward(v[0], k, g).y, [x], gy, [gx], "max_pool3d ref", h: 1e-4, maxSamples: 30);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var (fy, grads) = Fast.ForwardBackward(t => F.MaxPool3d(t[0], (k[0], k[1], k[2]), (s[0], s[1], s[2]), (p[0], p[1], p[2])), [x], gy, format);
            Check.Close(y, fy, what: $"max_pool3d {format} y");
            Check.Close(gx, grads[0]!, what: $"max_pool3d {format} grad x");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AvgPoolMatchesReference(int[] xs, int[] k, int[] s, int[] p)
    {
        var g = Window(s, p);
        var x = RefTensor.Random(xs, 1);
        foreach (bool include in new[] { true, false })
        {
            var y = RefPool3d.AvgForward(x, k, g, include);
            var gy = RefTensor.Random(y.Shape, 5);
            var gx = RefPool3d.AvgBackward(x, gy, k, g, include);
            GradCheck.Verify(v => RefPool3d.AvgForward(v[0], k, g, include), [x], gy, [gx], "avg_pool3d ref", maxSamples: 30);
            var (fy, grads) = Fast.ForwardBackward(t => F.AvgPool3d(t[0], (k[0], k[1], k[2]), (s[0], s[1], s[2]), (p[0], p[1], p[2]), include), [x], gy,
                MemoryFormat.ChannelsLast);
            Check.Close(y, fy, what: $"avg_pool3d include {include} y");
            Check.Close(gx, grads[0]!, what: $"avg_pool3d include {include} grad x");
        }
    }

    [Fact]
    public void GlobalPoolsAverageAndMaximizeOverTheWholeClip()
    {
        var x = Distinct([2, 3, 3, 4, 5]);
        int[] whole = [3, 4, 5];
        var g = Window([1, 1, 1], [0, 0, 0]);
        var gy = RefTensor.Random([2, 3, 1, 1, 1], 5);
        var avg = RefPool3d.AvgForward(x, whole, g, true);
        var (fy, grads) = Fast.ForwardBackward(t => F.GlobalAvgPool3d(t[0]), [x], gy, MemoryFormat.ChannelsLast);
        Check.Close(avg, fy, what: "global_avg_pool3d y");
        Check.Close(RefPool3d.AvgBackward(x, gy, whole, g, true), grads[0]!, what: "global_avg_pool3d grad x");
        var (max, argmax) = RefPool3d.MaxForward(x, whole, g);
        (fy, grads) = Fast.ForwardBackward(t => F.GlobalMaxPool3d(t[0]), [x], gy);
        Check.Close(max, fy, what: "global_max_pool3d y");
        Check.Close(RefPool3d.MaxBackward(x.Shape, argmax, gy), grads[0]!, what: "global_max_pool3d grad x");
    }

    [Fact]
    public void BadWindowsAreRefused()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([1, 2, 2, 4, 4]);
        Assert.Contains("too small", Assert.Throws<ArgumentException>(() => F.MaxPool3d(x, (3, 3, 3))).Message);
        Assert.Contains("padding", Assert.Throws<ArgumentException>(() => F.AvgPool3d(x, (1, 3, 3), padding: (1, 1, 1))).Message);
        Assert.Contains("[N, C, D, H, W]", Assert.Throws<ArgumentException>(() => F.GlobalAvgPool3d(Tensor.Zeros([1, 2, 3, 3]))).Message);
    }

    private static Ref3d Window(int[] s, int[] p) => new((s[0], s[1], s[2]), (p[0], p[1], p[2]), (1, 1, 1));

    private static RefTensor Distinct(int[] shape)
    {
        var x = new RefTensor(shape);
        var order = Enumerable.Range(0, x.Length).OrderBy(i => (i * 7919) % x.Length).ToArray();
        for (int i = 0; i < x.Length; i++) x.Data[order[i]] = i * 0.01 - 1;
        return x;
    }
}
