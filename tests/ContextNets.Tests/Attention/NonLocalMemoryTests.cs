using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention;

[Collection(PoolCollection.Name)]
public class NonLocalMemoryTests
{
    [Theory]
    [InlineData(new[] { 2, 8, 6, 4 })]
    [InlineData(new[] { 2, 8, 2, 4, 4 })]
    public void InferenceOutsideAnyScopeKeepsOnlyItsResult(int[] shape)
    {
        using var block = new NonLocal(8, Pairwise.EmbeddedGaussian, subSample: true, norm: true) { CaptureAttention = true };
        block.Eval();
        using var x = Tensor.Randn(shape, 1);
        using var noGrad = GradMode.NoGrad();
        block.Forward(x).Dispose();
        long steady = BufferPool.LiveBytes;
        for (int i = 0; i < 5; i++)
        {
            var z = block.Forward(x);
            Assert.NotNull(block.LastAttention);
            z.Dispose();
            Assert.Equal(steady, BufferPool.LiveBytes);
        }
    }

    [Fact]
    public void TrainingStepsInScopesLeaveNoMemoryBehind()
    {
        using var block = new NonLocal(8, Pairwise.Concatenation, subSample: true, norm: true) { CaptureAttention = true };
        using var x = Tensor.Randn([2, 8, 6, 4], 2);
        x.RequiresGrad = true;
        long steady = 0;
        for (int step = 1; step <= 20; step++)
        {
            using (Tensor.Scope()) F.Sum(block.Forward(x)).Backward();
            block.ZeroGrad();
            x.ZeroGrad();
            if (step == 2) steady = BufferPool.LiveBytes;
            if (step > 2) Assert.Equal(steady, BufferPool.LiveBytes);
        }
    }
}
