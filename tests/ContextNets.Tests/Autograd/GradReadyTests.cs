namespace ContextNets.Tests.Autograd;

/// <summary>The hook that data-parallel training starts its gradient allreduce from.</summary>
public class GradReadyTests
{
    [Fact]
    public void FiresOncePerLeafWithItsFinalGradientBeforeEarlierLayersAreDifferentiated()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([1f, 2f], 2);
        var early = Tensor.FromArray([3f, 4f], 2);
        var late = Tensor.FromArray([5f, 6f], 2);
        early.RequiresGrad = late.RequiresGrad = true;
        var calls = new List<string>();
        float[]? lateGrad = null;
        bool earlyHadGradientThen = true;
        late.GradReady = t =>
        {
            calls.Add("late");
            lateGrad = t.Grad!.ToArray();
            earlyHadGradientThen = early.Grad is not null;
        };
        early.GradReady = _ => calls.Add("early");

        // y = sum(x * early * late * late): `late` is used twice, and its hook must wait for both contributions.
        var y = F.Sum(F.Mul(F.Mul(F.Mul(x, early), late), late));
        y.Backward();

        Assert.Equal(["late", "early"], calls);
        Assert.Equal(new[] { 2 * 1f * 3f * 5f, 2 * 2f * 4f * 6f }, lateGrad);
        Assert.False(earlyHadGradientThen);
        Assert.Equal(new[] { 25f, 72f }, early.Grad!.ToArray());
    }
}
