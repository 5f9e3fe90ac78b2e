using ContextNets.IO;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

/// <summary>
/// The per-pixel cross-entropy with an ignore index: a plain float64 reference written here, its gradient against
/// finite differences, the fast op against it (contiguous and channels-last scores), and the hand-worked edges.
/// </summary>
public class PixelCrossEntropyTests
{
    private const int Ignore = 255;

    [Fact]
    public void ReferenceGradientMatchesFiniteDifferences()
    {
        var (x, labels) = Inputs(2, 4, 3, 5, seed: 3);
        var gy = new RefTensor([], [1.7]);
        GradCheck.Verify(v => new RefTensor([], [RefLoss(v[0], labels)]), [x], gy, [RefGrad(x, labels, 1.7)], "pixel cross_entropy");
    }

    [Theory]
    [InlineData(MemoryFormat.Contiguous)]
    [InlineData(MemoryFormat.ChannelsLast)]
    public void FastPathMatchesReference(MemoryFormat format)
    {
        var (x, labels) = Inputs(3, 6, 7, 9, seed: 5);
        var gy = new RefTensor([], [0.6]);
        var (loss, grads) = Fast.ForwardBackward(v => F.PixelCrossEntropy(v[0], labels, Ignore), [x], gy, format);
        Check.Close(new RefTensor([], [RefLoss(x, labels)]), loss, what: $"pixel cross_entropy {format} loss");
        Check.Close(RefGrad(x, labels, 0.6), grads[0]!, what: $"pixel cross_entropy {format} grad");
    }

    [Fact]
    public void UniformScoresGiveLogKOverTheCountedPixels()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros(new Shape(1, 4, 1, 3));
        x.RequiresGrad = true;
        var loss = F.PixelCrossEntropy(x, [2, Ignore, 0], Ignore);
        Assert.Equal(Math.Log(4), loss.Item(), 6);
        loss.Backward();
        // Counted pixels: softmax 1/4 minus the one-hot, over 2 counted pixels; the ignored pixel gets nothing.
        float[] g = x.Grad!.ToArray();
        Assert.Equal([0.125f, 0f, -0.375f], [g[0], g[1], g[2]]);
        Assert.Equal([0.125f, 0f, 0.125f], [g[3], g[4], g[5]]);
        Assert.Equal([-0.375f, 0f, 0.125f], [g[6], g[7], g[8]]);
    }

    [Fact]
    public void EveryPixelIgnoredIsNaNAsInPyTorch()
    {
        using var scope = Tensor.Scope();
        Assert.True(float.IsNaN(F.PixelCrossEntropy(Tensor.Zeros(new Shape(1, 3, 1, 2)), [Ignore, Ignore], Ignore).Item()));
    }

    [Fact]
    public void LabelsOutsideTheClassesAreRefused()
    {
        using var scope = Tensor.Scope();
        var e = Assert.Throws<ArgumentException>(() => F.PixelCrossEntropy(Tensor.Zeros(new Shape(1, 3, 1, 2)), [1, 3], Ignore));
        Assert.Contains("label 3 at pixel 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => F.PixelCrossEntropy(Tensor.Zeros(new Shape(1, 3, 1, 2)), [1], Ignore));
    }

    private static (RefTensor X, int[] Labels) Inputs(int n, int k, int h, int w, int seed)
    {
        var x = RefTensor.Random([n, k, h, w], seed, 3);
        var rng = new Random(seed);
        var labels = new int[n * h * w];
        for (int i = 0; i < labels.Length; i++) labels[i] = rng.Next(5) == 0 ? Ignore : rng.Next(k);
        return (x, labels);
    }

    /// <summary>mean over counted pixels of log sum exp(x) - x[label].</summary>
    internal static double RefLoss(RefTensor x, int[] labels)
    {
        int n = x.Shape[0], k = x.Shape[1], h = x.Shape[2], w = x.Shape[3], counted = 0;
        double sum = 0;
        for (int b = 0; b < n; b++)
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            int label = labels[(b * h + i) * w + j];
            if (label == Ignore) continue;
            counted++;
            double z = 0;
            for (int c = 0; c < k; c++) z += Math.Exp(x[b, c, i, j]);
            sum += Math.Log(z) - x[b, label, i, j];
        }
        return sum / counted;
    }

    private static RefTensor RefGrad(RefTensor x, int[] labels, double gy)
    {
        int n = x.Shape[0], k = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int counted = labels.Count(l => l != Ignore);
        var g = new RefTensor(x.Shape);
        for (int b = 0; b < n; b++)
        for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
        {
            int label = labels[(b * h + i) * w + j];
            if (label == Ignore) continue;
            double z = 0;
            for (int c = 0; c < k; c++) z += Math.Exp(x[b, c, i, j]);
            for (int c = 0; c < k; c++) g[b, c, i, j] = gy * (Math.Exp(x[b, c, i, j]) / z - (c == label ? 1 : 0)) / counted;
        }
        return g;
    }
}

/// <summary>The per-pixel cross-entropy against torch's F.cross_entropy(ignore_index=255), built by Debian's PyTorch.</summary>
[Trait(Tier.Key, Tier.External)]
public class PixelCrossEntropyTorchTests(PixelCrossEntropyCases cases) : IClassFixture<PixelCrossEntropyCases>
{
    [Theory]
    [InlineData(5)]
    [InlineData(21)]
    public void LossAndGradientMatchTorch(int classes)
    {
        var (_, io) = cases.Get($"pixel_ce_{classes}", 6);
        var file = SafetensorsFile.Read(io);
        using var scope = Tensor.Scope();
        var x = file.Load("x");
        int[] labels = Array.ConvertAll(file.Load("labels").ToArray(), v => (int)v);
        x.RequiresGrad = true;
        var loss = F.PixelCrossEntropy(x, labels, 255);
        loss.Backward();
        double expected = file.Load("loss").Item();
        Assert.True(Math.Abs(loss.Item() - expected) <= 1e-5 * Math.Abs(expected), $"loss {loss.Item():R}, torch {expected:R}");
        float[] e = file.Load("grad").ToArray(), a = x.Grad!.ToArray();
        double scale = e.Max(v => Math.Abs((double)v));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= 1e-5 * scale, $"grad[{i}] {a[i]:R}, torch {e[i]:R}");
    }
}
