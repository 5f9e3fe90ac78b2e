using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

/// <summary>
/// The fused context pooling and fusion (F.ContextPool, F.ContextFuse), tested
/// as the blocks use them: y = fuse(x, scale = sigmoid(ctx), shift = ctx * ctx)
/// with ctx = pool(x), so that the gradient of x takes both paths.
/// </summary>
public class ContextPoolTests
{
    // n, c, h, w, attention, scale, shift
    public static TheoryData<int, int, int, int, bool, bool, bool> Cases => new()
    {
        { 2, 6, 3, 4, true, true, true },
        { 1, 5, 3, 3, true, false, true },
        { 3, 4, 2, 5, true, true, false },
        { 2, 7, 4, 3, false, true, true },
        { 1, 3, 5, 2, false, false, true },
        { 2, 4, 1, 1, true, true, true },
    };

    // Larger widths run the vector loops and their tails, and a batch of one splits the positions between threads.
    public static TheoryData<int, int, int, int, bool, bool, bool> WideCases => new()
    {
        { 2, 37, 5, 6, true, true, true },
        { 1, 64, 7, 7, true, false, true },
        { 1, 33, 6, 5, false, true, false },
        { 3, 48, 3, 3, true, true, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferencePoolGradientMatchesFiniteDifferences(int n, int c, int h, int w, bool attention, bool scale, bool shift)
    {
        _ = (scale, shift);
        var inputs = Inputs(n, c, h, w, attention);
        var gctx = RefTensor.Random([n, c, 1, 1], 7);
        var (gx, gw, gb) = RefContextPool.Backward(inputs[0], W(inputs), B(inputs), gctx);
        GradCheck.Verify(v => RefContextPool.Forward(v[0], W(v), B(v)).ctx, inputs, gctx, attention ? [gx, gw, gb] : [gx], "context_pool");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceFuseGradientMatchesFiniteDifferences(int n, int c, int h, int w, bool attention, bool scale, bool shift)
    {
        _ = attention;
        var x = RefTensor.Random([n, c, h, w], 1, 2);
        var s = scale ? RefTensor.Random([n, c, 1, 1], 2) : null;
        var t = shift ? RefTensor.Random([n, c, 1, 1], 3) : null;
        var gy = RefTensor.Random(x.Shape, 7);
        var (gx, gs, gt) = RefContextPool.FuseBackward(x, s, t, gy);
        var inputs = new[] { x, s, t }.OfType<RefTensor>().ToArray();
        GradCheck.Verify(v => RefContextPool.Fuse(v[0], scale ? v[1] : null, shift ? v[^1] : null), inputs, gy,
            new[] { gx, gs, gt }.Where((g, i) => i == 0 || (i == 1 ? scale : shift)).ToArray(), "context_fuse");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CompositeReferenceGradientMatchesFiniteDifferences(int n, int c, int h, int w, bool attention, bool scale, bool shift)
    {
        var inputs = Inputs(n, c, h, w, attention);
        var gy = RefTensor.Random([n, c, h, w], 7);
        var grads = RefBlockBackward(inputs, gy, scale, shift);
        GradCheck.Verify(v => RefBlock(v, scale, shift), inputs, gy, grads, "pool+fuse");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [MemberData(nameof(WideCases))]
    public void FastPathMatchesReference(int n, int c, int h, int w, bool attention, bool scale, bool shift)
    {
        var inputs = Inputs(n, c, h, w, attention);
        var gy = RefTensor.Random([n, c, h, w], 7);
        var y = RefBlock(inputs, scale, shift);
        var expected = RefBlockBackward(inputs, gy, scale, shift);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        foreach (bool linked in new[] { true, false })
        foreach (bool xNeedsGrad in attention ? new[] { true, false } : [true])
        {
            var needs = inputs.Select((_, i) => i > 0 || xNeedsGrad).ToArray();
            var (fy, grads) = Fast.ForwardBackward(t => Block(t, scale, shift, linked), inputs, gy, format, needs);
            string what = $"pool+fuse {Shape.Format([n, c, h, w])} attention={attention} scale={scale} shift={shift} {format} linked={linked} x grad={xNeedsGrad}";
            Check.Close(y, fy, what: what + " y");
            if (xNeedsGrad) Check.Close(expected[0]!, grads[0]!, what: what + " grad x");
            else Assert.Null(grads[0]);
            if (!attention) continue;
            Check.Close(expected[1]!, grads[1]!, what: what + " grad w");
            // The softmax ignores the bias: its gradient is exactly 0, not a rounding residue.
            Assert.Equal([0f], grads[2]!.Data.Select(v => (float)v));
        }
    }

    [Fact]
    public void PoolingWeightsAreTheSoftmaxOverPositions()
    {
        var inputs = Inputs(2, 9, 4, 5, attention: true);
        var (ctx, weights) = RefContextPool.Forward(inputs[0], inputs[1], inputs[2]);
        using var scope = Tensor.Scope();
        var x = F.Materialize(inputs[0].ToTensor(), MemoryFormat.ChannelsLast);
        var fctx = F.ContextPool(x, inputs[1].ToTensor(), inputs[2].ToTensor(), null, out var fw);
        Check.Close(ctx, fctx, what: "context");
        Check.Close(weights!, fw!, what: "pooling weights");
        var mean = F.ContextPool(x, null, null, null, out var none);
        Assert.Null(none);
        Check.Close(RefContextPool.Forward(inputs[0], null, null).ctx, mean, what: "mean context");
    }

    [Fact]
    public void LargeLogitsDoNotOverflow()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 1, 4);
        var ctx = F.ContextPool(x, Tensor.FromArray([500f], 1, 1, 1, 1), Tensor.FromArray([0f], 1), null, out var weights);
        Check.Close(new RefTensor([1, 4], [0, 0, 0, 1]), weights!, what: "weights of logits 500..2000");
        Check.Close(new RefTensor([1, 1, 1, 1], [4]), ctx, what: "context of logits 500..2000");
    }

    [Fact]
    public void FusionOutputIsInTheActivationLayout()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 3, 4, 4], 1);
        var y = F.ContextFuse(x, null, Tensor.Randn([2, 3, 1, 1], 2), null);
        Assert.True(y.IsIn(Engine.ActivationFormat));
    }

    [Fact]
    public void BadInputIsRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 4, 3, 3], 1);
        Assert.Contains("[2, 4, 3]", Assert.Throws<ArgumentException>(() => F.ContextPool(Tensor.Randn([2, 4, 3], 1), null, null, null, out _)).Message);
        var e = Assert.Throws<ArgumentException>(() => F.ContextPool(x, Tensor.Randn([1, 5, 1, 1], 1), null, null, out _));
        Assert.Contains("[1, 5, 1, 1]", e.Message);
        Assert.Contains("[2, 4, 3, 3]", e.Message);
        Assert.Contains("[2]", Assert.Throws<ArgumentException>(() => F.ContextPool(x, Tensor.Randn([1, 4, 1, 1], 1), Tensor.Randn([2], 1), null, out _)).Message);
        Assert.Contains("[2, 4, 0, 3]", Assert.Throws<ArgumentException>(() => F.ContextPool(Tensor.Zeros([2, 4, 0, 3]), null, null, null, out _)).Message);
        Assert.Contains("[1, 4, 1, 1]", Assert.Throws<ArgumentException>(() => F.ContextFuse(x, Tensor.Randn([1, 4, 1, 1], 1), null, null)).Message);
        Assert.Contains("neither", Assert.Throws<ArgumentException>(() => F.ContextFuse(x, null, null, null)).Message);
    }

    private static RefTensor[] Inputs(int n, int c, int h, int w, bool attention)
    {
        var x = RefTensor.Random([n, c, h, w], 1, 2);
        return attention ? [x, RefTensor.Random([1, c, 1, 1], 2, 1.5), RefTensor.Random([1], 3)] : [x];
    }

    private static RefTensor? W(RefTensor[] v) => v.Length > 1 ? v[1] : null;
    private static RefTensor? B(RefTensor[] v) => v.Length > 2 ? v[2] : null;

    private static Tensor Block(Tensor[] t, bool scale, bool shift, bool linked)
    {
        var link = linked ? new ContextLink() : null;
        var ctx = F.ContextPool(t[0], t.Length > 1 ? t[1] : null, t.Length > 2 ? t[2] : null, link, out _);
        return F.ContextFuse(t[0], scale ? F.Sigmoid(ctx) : null, shift ? F.Mul(ctx, ctx) : null, link);
    }

    private static RefTensor RefBlock(RefTensor[] v, bool scale, bool shift)
    {
        var ctx = RefContextPool.Forward(v[0], W(v), B(v)).ctx;
        return RefContextPool.Fuse(v[0], scale ? Sigmoid(ctx) : null, shift ? Square(ctx) : null);
    }

    private static RefTensor?[] RefBlockBackward(RefTensor[] v, RefTensor gy, bool scale, bool shift)
    {
        var ctx = RefContextPool.Forward(v[0], W(v), B(v)).ctx;
        var s = scale ? Sigmoid(ctx) : null;
        var (gxFuse, gs, gt) = RefContextPool.FuseBackward(v[0], s, shift ? Square(ctx) : null, gy);
        var gctx = new RefTensor(ctx.Shape);
        for (int i = 0; i < ctx.Length; i++)
            gctx.Data[i] = (gs is null ? 0 : gs.Data[i] * s!.Data[i] * (1 - s.Data[i])) + (gt is null ? 0 : gt.Data[i] * 2 * ctx.Data[i]);
        var (gx, gw, gb) = RefContextPool.Backward(v[0], W(v), B(v), gctx);
        for (int i = 0; i < gx.Length; i++) gx.Data[i] += gxFuse.Data[i];
        return v.Length > 1 ? [gx, gw, gb] : [gx];
    }

    private static RefTensor Sigmoid(RefTensor t) => new(t.Shape, t.Data.Select(v => 1 / (1 + Math.Exp(-v))).ToArray());
    private static RefTensor Square(RefTensor t) => new(t.Shape, t.Data.Select(v => v * v).ToArray());
}
