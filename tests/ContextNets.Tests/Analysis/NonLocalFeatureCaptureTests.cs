using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.NN;

namespace ContextNets.Tests.Analysis;

public class NonLocalFeatureCaptureTests
{
    internal static NonLocal RandomBlock(int channels, Pairwise mode = Pairwise.EmbeddedGaussian, bool subSample = false, int seed = 5)
    {
        Initializers.Seed(seed);
        var block = new NonLocal(channels, mode, subSample: subSample);
        foreach (var (_, p) in block.NamedParameters()) Initializers.Normal(0.5)(p.Span);
        return block;
    }

    [Theory]
    [InlineData(MemoryFormat.Contiguous)]
    [InlineData(MemoryFormat.ChannelsLast)]
    public void InputAndContextAreKeptAsTheForwardSawThem(MemoryFormat format)
    {
        const int n = 2, c = 8, h = 3, w = 4, np = h * w;
        using var block = RandomBlock(c);
        block.CaptureAttention = true;
        block.CaptureFeatures = true;
        float[] xs, g;
        using (Tensor.Scope())
        using (GradMode.NoGrad())
        {
            var x = F.Materialize(Tensor.Randn(new Shape(n, c, h, w), 3), format);
            block.Forward(x);
            xs = x.ToArray();
            g = block.G.Forward(x).ToArray();
        }
        var input = block.LastInput!;
        var context = block.LastContext!;
        var attention = block.LastAttention!.ToArray();
        Assert.False(input.IsDisposed, "the kept input belongs to a scope");
        Assert.Equal(new Shape(n, c, h, w), input.Shape);
        Assert.Equal(xs, input.ToArray());

        // y[b, k, i] = sum_j f[b, i, j] g[b, k, j], with g = W_g x + b_g computed here by the layer itself.
        int inner = block.Inner;
        Assert.Equal(new Shape(n, inner, h, w), context.Shape);
        var y = context.ToArray();
        for (int b = 0; b < n; b++)
            for (int k = 0; k < inner; k++)
                for (int i = 0; i < np; i++)
                {
                    double expected = 0;
                    for (int j = 0; j < np; j++) expected += attention[(b * np + i) * np + j] * g[(b * inner + k) * np + j];
                    Assert.True(Math.Abs(y[(b * inner + k) * np + i] - expected) <= 1e-5 + 1e-4 * Math.Abs(expected),
                        $"context [{b}, {k}, {i}] is {y[(b * inner + k) * np + i]}, expected {expected}");
                }

        block.Dispose();
        Assert.True(input.IsDisposed && context.IsDisposed, "Dispose did not free the kept features");
    }

    [Fact]
    public void FeaturesAreKeptOnlyWhenAskedAndReplacedEachForward()
    {
        using var block = RandomBlock(4, subSample: true);
        using (Tensor.Scope()) block.Forward(Tensor.Randn(new Shape(1, 4, 4, 6), 1));
        Assert.Null(block.LastInput);
        Assert.Null(block.LastContext);

        block.CaptureFeatures = true;
        using (Tensor.Scope()) block.Forward(Tensor.Randn(new Shape(1, 4, 4, 6), 1));
        var first = block.LastContext!;
        Assert.Equal(new Shape(1, 2, 4, 6), first.Shape);
        Assert.Null(block.LastAttention);
        using (Tensor.Scope())
        {
            var x = Tensor.Randn(new Shape(2, 4, 4, 6), 2);
            x.RequiresGrad = true;
            F.Sum(block.Forward(x)).Backward();
        }
        Assert.True(first.IsDisposed, "the previous context was not freed");
        Assert.Equal(new Shape(2, 2, 4, 6), block.LastContext!.Shape);
        Assert.False(block.LastContext.RequiresGrad);
        Assert.Equal(new Shape(2, 4, 4, 6), block.LastInput!.Shape);
    }
}
