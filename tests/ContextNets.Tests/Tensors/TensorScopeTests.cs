namespace ContextNets.Tests.Tensors;

public class TensorScopeTests
{
    [Fact]
    public void DisposesWhatWasMadeWhileItWasOpenAndNothingElse()
    {
        using var before = Tensor.Zeros([3]);
        Tensor inside, view;
        using (Tensor.Scope())
        {
            inside = Tensor.Ones([3]);
            view = before.Reshape(1, 3);
        }
        Assert.True(inside.IsDisposed);
        Assert.True(view.IsDisposed);
        Assert.False(before.IsDisposed);
        Assert.Equal([0f, 0, 0], before.ToArray());
    }

    [Fact]
    public void KeepMovesATensorToTheParentScope()
    {
        Tensor kept, dropped;
        using (Tensor.Scope())
        {
            using (var inner = Tensor.Scope())
            {
                kept = inner.Keep(Tensor.Ones([2]));
                dropped = Tensor.Ones([2]);
            }
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal([1f, 1], kept.ToArray());
        }
        Assert.True(kept.IsDisposed);
    }

    [Fact]
    public void KeepInTheOutermostScopeHandsTheTensorToTheCaller()
    {
        Tensor t;
        using (var scope = Tensor.Scope()) t = scope.Keep(Tensor.Ones([2]));
        Assert.False(t.IsDisposed);
        t.Dispose();
        Assert.True(t.IsDisposed);
    }

    [Fact]
    public void NestedScopesMustEndInReverseOrderAndStayUsableAfterAMistake()
    {
        var start = TensorScope.Current;
        var outer = Tensor.Scope();
        var a = Tensor.Ones([1]);
        var inner = Tensor.Scope();
        var b = Tensor.Ones([1]);
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        Assert.False(a.IsDisposed);
        inner.Dispose();
        Assert.True(b.IsDisposed);
        Assert.False(a.IsDisposed);
        outer.Dispose();
        Assert.True(a.IsDisposed);
        Assert.Same(start, TensorScope.Current);
    }

    [Fact]
    public void DisposingTwiceIsHarmless()
    {
        var scope = Tensor.Scope();
        var t = Tensor.Ones([1]);
        scope.Dispose();
        scope.Dispose();
        Assert.True(t.IsDisposed);
    }
}
