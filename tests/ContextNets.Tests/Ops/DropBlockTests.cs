using ContextNets.Backend.Managed;
using ContextNets.NN;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class DropBlockTests
{
    private static double[] Noise(int count, long seed) => Enumerable.Range(0, count).Select(i => DropBlockKernels.Noise(seed, i)).ToArray();

    [Fact]
    public void ReferenceGradientMatchesFiniteDifferences()
    {
        var x = RefTensor.Random([2, 2, 7, 7], 1);
        var (mask, scale) = RefDropBlock.Mask(x.Shape, Noise(x.Length, 4), 0.3, 3, 1.0);
        var gy = RefTensor.Random(x.Shape, 7);
        GradCheck.Verify(v => RefDropBlock.Forward(v[0], mask, scale), [x], gy, [RefDropBlock.Backward(gy, mask, scale)], "drop_block");
    }

    /// <summary>The reference builds the mask as timm writes it (threshold, then a max-pool of the negation) from the same noise.</summary>
    [Theory]
    [InlineData(new[] { 2, 3, 9, 9 }, 0.3f, 3)]
    [InlineData(new[] { 1, 4, 12, 10 }, 0.2f, 7)]
    [InlineData(new[] { 2, 2, 4, 4 }, 0.5f, 7)]
    [InlineData(new[] { 1, 2, 6, 5 }, 0.4f, 2)]
    public void FastPathMatchesTimmsDefinition(int[] shape, float p, int block)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var x = RefTensor.Random(shape, 1);
            var gy = RefTensor.Random(shape, 7);
            var (fy, grads) = Fast.ForwardBackward(t => F.DropBlock(t[0], p, training: true, blockSize: block, seed: 11), [x], gy, format);
            var (mask, scale) = RefDropBlock.Mask(shape, Noise(x.Length, 11), p, block, 1.0);
            Assert.Contains(0.0, mask);
            Check.Close(RefDropBlock.Forward(x, mask, scale), fy, what: $"drop_block {format} y");
            Check.Close(RefDropBlock.Backward(gy, mask, scale), grads[0]!, what: $"drop_block {format} grad");
        }
    }

    /// <summary>Every dropped element lies in a k x k square of dropped elements (the blocks are whole where they fit), and the survivors carry one scale.</summary>
    [Fact]
    public void DroppedElementsFormWholeBlocksAndSurvivorsShareTheScale()
    {
        using var scope = Tensor.Scope();
        const int k = 3, h = 12, w = 12;
        var y = F.DropBlock(Tensor.Ones([2, 3, h, w]), 0.25f, training: true, blockSize: k, seed: 5).ToArray();
        int dropped = y.Count(v => v == 0f);
        Assert.True(dropped > 0);
        float scale = y.First(v => v != 0f);
        Assert.All(y, v => Assert.True(v == 0f || v == scale));
        Assert.Equal(y.Length / (float)(y.Length - dropped), scale, 5);
        for (int plane = 0; plane < 6; plane++)
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                {
                    if (y[plane * h * w + r * w + c] != 0f) continue;
                    bool inBlock = false;
                    for (int top = Math.Max(0, r - k + 1); top <= Math.Min(r, h - k) && !inBlock; top++)
                        for (int left = Math.Max(0, c - k + 1); left <= Math.Min(c, w - k) && !inBlock; left++)
                        {
                            bool all = true;
                            for (int u = 0; u < k && all; u++)
                                for (int v = 0; v < k && all; v++) all = y[plane * h * w + (top + u) * w + left + v] == 0f;
                            inBlock = all;
                        }
                    Assert.True(inBlock, $"dropped element ({plane}, {r}, {c}) is in no whole {k}x{k} block");
                }
    }

    /// <summary>gamma is chosen so that about p of the map is dropped when blocks rarely overlap; with overlaps a little less.</summary>
    [Fact]
    public void AboutPOfTheMapIsDropped()
    {
        using var scope = Tensor.Scope();
        var y = F.DropBlock(Tensor.Ones([16, 16, 28, 28]), 0.1f, training: true, blockSize: 7, seed: 3).ToArray();
        double fraction = y.Count(v => v == 0f) / (double)y.Length;
        Assert.InRange(fraction, 0.07, 0.11);
    }

    [Fact]
    public void GammaIsTimmsWithTheClippedBlock()
    {
        Assert.Equal(0.1 * 28 * 28 / 49.0 / (22 * 22), DropBlockKernels.Gamma(0.1, 7, 1.0, 28, 28), 15);
        Assert.Equal(0.5 * 16 / 16.0 / 1, DropBlockKernels.Gamma(0.5, 7, 1.0, 4, 4), 15);
    }

    [Theory]
    [InlineData(0.3f, false)]
    [InlineData(0f, true)]
    public void IdentityWhenNotTrainingOrPIsZero(float p, bool training)
    {
        var x = RefTensor.Random([2, 3, 5, 5], 1);
        var gy = RefTensor.Random([2, 3, 5, 5], 7);
        var (fy, grads) = Fast.ForwardBackward(t => F.DropBlock(t[0], p, training, seed: 1), [x], gy);
        Assert.Equal(x.Data.Select(v => (double)(float)v), fy.Data);
        Assert.Equal(gy.Data.Select(v => (double)(float)v), grads[0]!.Data);
    }

    [Fact]
    public void SameSeedSameMaskInEitherLayout()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Uniform([2, 3, 9, 9], 1, 1f, 2f);
        var a = F.DropBlock(x, 0.3f, true, 3, seed: 42).ToArray();
        Assert.Equal(a, F.DropBlock(F.Materialize(x, MemoryFormat.ChannelsLast), 0.3f, true, 3, seed: 42).ToArray());
        Assert.NotEqual(a, F.DropBlock(x, 0.3f, true, 3, seed: 43).ToArray());
    }

    [Fact]
    public void ModuleDropsOnlyInTraining()
    {
        using var scope = Tensor.Scope();
        using var layer = new DropBlock2d(0.3f, blockSize: 3);
        var x = Tensor.Uniform([2, 4, 10, 10], 2, 1f, 2f);
        Assert.Contains(0f, layer.Forward(x).ToArray());
        layer.Eval();
        Assert.Equal(x.ToArray(), layer.Forward(x).ToArray());
        Assert.Empty(layer.StateDict());
    }

    [Fact]
    public void BadInputIsRejectedNamingTheShape()
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => F.DropBlock(Tensor.Ones([2, 3, 4]), 0.1f, true));
        Assert.Contains("[2, 3, 4]", ex.Message);
        Assert.Contains("p = 1", Assert.Throws<ArgumentException>(() => F.DropBlock(Tensor.Ones([1, 1, 4, 4]), 1f, true)).Message);
        Assert.Contains("block size 0", Assert.Throws<ArgumentException>(() => F.DropBlock(Tensor.Ones([1, 1, 4, 4]), 0.1f, true, 0)).Message);
    }
}
