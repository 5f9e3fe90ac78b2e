using ContextNets.Autograd;

namespace ContextNets.Tests.Autograd;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateOverTwoBackwardCalls()
    {
        using var scope = Tensor.Scope();
        var x = Leaf([1f, 2, 3]);
        var c = Tensor.FromArray([2f, -1, 4], 3);
        F.Sum(x * c).Backward();
        Assert.Equal([2f, -1, 4], x.Grad!.ToArray());
        F.Sum(x * c).Backward();
        Assert.Equal([4f, -2, 8], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void ATensorUsedTwiceGetsBothContributions()
    {
        using var scope = Tensor.Scope();
        var x = Leaf([1f, -2, 3]);
        F.Sum(x * x).Backward();
        Assert.Equal([2f, -4, 6], x.Grad!.ToArray());
        x.ZeroGrad();

        // y = (x*x + x) * x = x^3 + x^2: x reaches y along three paths of different depth.
        F.Sum((x * x + x) * x).Backward();
        Assert.Equal([5f, 8, 33], x.Grad!.ToArray());
        x.ZeroGrad();
    }

    [Fact]
    public void RequiresGradFollowsTheInputs()
    {
        using var scope = Tensor.Scope();
        var x = Leaf([1f, 2]);
        var c = Tensor.FromArray([3f, 4], 2);
        var y = x + c;
        Assert.True(y.RequiresGrad);
        Assert.False(y.IsLeaf);
        var z = c * c;
        Assert.False(z.RequiresGrad);
        Assert.True(z.IsLeaf);
        F.Sum(y * c).Backward();
        Assert.Null(c.Grad);
        Assert.Null(y.Grad);
        Assert.Equal([3f, 4], x.Grad!.ToArray());
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        x.ZeroGrad();
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        using var scope = Tensor.Scope();
        var x = Leaf([1f, 2]);
        Tensor y;
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            using (GradMode.NoGrad()) y = F.Reshape(x * x, 2, 1);
            Assert.False(GradMode.IsEnabled);
        }
        Assert.True(GradMode.IsEnabled);
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => F.Sum(y).Backward());
        Assert.True((x * x).RequiresGrad);
    }

    [Fact]
    public void BackwardFromANonScalarNeedsAnUpstreamGradientOfItsShape()
    {
        using var scope = Tensor.Scope();
        var x = Leaf([1f, 2, 3, 4, 5, 6], 2, 3);
        var c = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3);
        var y = x * c;
        Assert.Contains("[2, 3]", Assert.Throws<ArgumentException>(() => y.Backward()).Message);
        Assert.Contains("[3, 2]", Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones([3, 2]))).Message);
        Assert.Null(x.Grad);
        y.Backward(Tensor.FromArray([1f, 0, -1, 2, 0.5f, 1], 2, 3));
        Assert.Equal([1f, 0, -3, 8, 2.5f, 6], x.Grad!.ToArray());
        x.ZeroGrad();
    }

    [Fact]
    public void DetachCutsTheGraphButSharesTheValues()
    {
        using var scope = Tensor.Scope();
        var x = Leaf([1f, -2, 3]);
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        Assert.Equal(x.ToArray(), d.ToArray());
        Assert.False((d * d).RequiresGrad);
        F.Sum(x * d).Backward();
        Assert.Equal([1f, -2, 3], x.Grad!.ToArray());
        x.ZeroGrad();
    }

    [Fact]
    public void ALeafGradientKeepsTheLeafLayout()
    {
        using var scope = Tensor.Scope();
        var x = F.ToFormat(Tensor.Randn([2, 3, 4, 5], 1), MemoryFormat.ChannelsLast);
        x.RequiresGrad = true;
        F.Sum(F.Permute(x, 0, 2, 3, 1)).Backward();
        Assert.Equal(MemoryFormat.ChannelsLast, x.Grad!.Format);
        Assert.All(x.Grad.ToArray(), g => Assert.Equal(1f, g));
        x.ZeroGrad();
    }

    private static Tensor Leaf(float[] values, params int[] shape)
    {
        var t = Tensor.FromArray(values, shape.Length == 0 ? [values.Length] : shape);
        t.RequiresGrad = true;
        return t;
    }
}
