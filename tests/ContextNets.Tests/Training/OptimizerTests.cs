using ContextNets.NN;
using ContextNets.Training;

namespace ContextNets.Tests.Training;

/// <summary>
/// Each optimizer against an independent float64 computation of PyTorch's update formulas
/// (torch.optim.SGD and torch.optim.AdamW, as documented), over several steps with changing gradients.
/// </summary>
public class OptimizerTests
{
    private const int Steps = 4;

    private static Tensor Param(int seed, params int[] shape)
    {
        using var scope = Tensor.Scope();
        var t = Tensor.EmptyUnscoped(new Shape(shape));
        F.CopyInto(Tensor.Randn(new Shape(shape), seed), t);
        t.RequiresGrad = true;
        return t;
    }

    private static void SetGrad(Tensor p, float[] values)
    {
        p.ZeroGrad();
        var g = Tensor.EmptyUnscoped(p.Shape);
        values.CopyTo(g.Span);
        p.Grad = g;
    }

    private static float[] Grad(int step, int n, int seed)
    {
        var rng = new Rng((ulong)(1000 * seed + step));
        return Enumerable.Range(0, n).Select(_ => (float)rng.Normal()).ToArray();
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6 + 1e-5 * Math.Abs(expected[i]),
                $"{what}[{i}]: {actual[i]:G9}, expected {expected[i]:G9}");
    }

    [Theory]
    [InlineData(0.0, false, 0.0)]
    [InlineData(0.9, false, 0.0)]
    [InlineData(0.9, true, 0.0)]
    [InlineData(0.9, false, 1e-2)]
    [InlineData(0.8, true, 5e-2)]
    [InlineData(0.0, false, 1e-1)]
    public void SgdFollowsTorchFormulas(double momentum, bool nesterov, double wd)
    {
        using var p = Param(1, 3, 5);
        double lr = 0.1;
        var x = p.ToArray().Select(v => (double)v).ToArray();
        var buf = new double[x.Length];
        using var opt = new Sgd([new ParamGroup([("w", p)], wd)], lr, momentum, nesterov);
        for (int step = 1; step <= Steps; step++)
        {
            var g = Grad(step, x.Length, 1);
            SetGrad(p, g);
            opt.Step();
            for (int i = 0; i < x.Length; i++)
            {
                double d = g[i] + wd * x[i];
                if (momentum != 0)
                {
                    buf[i] = step == 1 ? d : momentum * buf[i] + d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                x[i] -= lr * d;
            }
            AssertClose(x, p.ToArray(), $"SGD step {step} param");
        }
        if (momentum != 0) AssertClose(buf, opt.StateTensors().Single().tensor.ToArray(), "momentum_buffer");
        else Assert.Empty(opt.StateTensors());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    public void AdamWFollowsTorchFormulas(double wd)
    {
        using var p = Param(2, 4, 3);
        double lr = 0.01, b1 = 0.9, b2 = 0.99, eps = 1e-6;
        var x = p.ToArray().Select(v => (double)v).ToArray();
        var m = new double[x.Length];
        var v = new double[x.Length];
        using var opt = new AdamW([new ParamGroup([("w", p)], wd)], lr, b1, b2, eps);
        for (int step = 1; step <= Steps + 2; step++)
        {
            var g = Grad(step, x.Length, 2);
            SetGrad(p, g);
            opt.Step();
            for (int i = 0; i < x.Length; i++)
            {
                x[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(b1, step));
                double denom = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(b2, step)) + eps;
                x[i] -= lr * mHat / denom;
            }
            AssertClose(x, p.ToArray(), $"AdamW step {step} param");
        }
        var state = opt.StateTensors().ToDictionary(s => s.key, s => s.tensor);
        AssertClose(m, state["w.exp_avg"].ToArray(), "exp_avg");
        AssertClose(v, state["w.exp_avg_sq"].ToArray(), "exp_avg_sq");
        Assert.Equal(Steps + 2, opt.Snapshot().Steps["w"]);
    }

    private sealed class Tiny : Module
    {
        private readonly Conv2d _conv;
        private readonly BatchNorm2d _bn;
        private readonly Linear _fc;

        public Tiny()
        {
            _conv = Register("conv", new Conv2d(2, 3, 3, bias: false));
            _bn = Register("bn", new BatchNorm2d(3));
            _fc = Register("fc", new Linear(3, 2));
        }

        public override Tensor Forward(Tensor x) => _fc.Forward(F.Reshape(F.GlobalAvgPool2d(_bn.Forward(_conv.Forward(x))), x.Shape[0], 3));
    }

    [Fact]
    public void NoDecayGroupsFollowTimmRule()
    {
        using var model = new Tiny();
        var groups = ParamGroups.NoDecayOnNormAndBias(model, 0.05);
        Assert.Equal(["bn.weight", "bn.bias", "fc.bias"], groups[0].Parameters.Select(p => p.name));
        Assert.Equal(0, groups[0].WeightDecay);
        Assert.Equal(["conv.weight", "fc.weight"], groups[1].Parameters.Select(p => p.name));
        Assert.Equal(0.05, groups[1].WeightDecay);
    }

    [Fact]
    public void GroupsApplyTheirOwnDecayAndLrScale()
    {
        using var model = new Tiny();
        var groups = ParamGroups.NoDecayOnNormAndBias(model, 0.1);
        groups[0].LrScale = 0.5;
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        using var opt = new Sgd(groups, 0.2);
        foreach (var p in opt.Parameters()) SetGrad(p, Enumerable.Repeat(1f, p.Numel).ToArray());
        opt.Step();
        // No decay, half the rate: p - 0.1 * 1.
        foreach (var key in new[] { "bn.weight", "bn.bias", "fc.bias" })
            AssertClose(before[key].Select(v => v - 0.1).ToArray(), model.StateDict()[key].ToArray(), key);
        // Coupled decay, full rate: p - 0.2 * (1 + 0.1 p).
        foreach (var key in new[] { "conv.weight", "fc.weight" })
            AssertClose(before[key].Select(v => v - 0.2 * (1 + 0.1 * v)).ToArray(), model.StateDict()[key].ToArray(), key);
    }

    [Fact]
    public void ParametersWithoutGradientAreSkipped()
    {
        using var a = Param(3, 4);
        using var b = Param(4, 4);
        var bBefore = b.ToArray();
        using var opt = new AdamW([new ParamGroup([("a", a), ("b", b)], 0.1)], 0.01);
        SetGrad(a, [1, 2, 3, 4]);
        int versionA = a.Version, versionB = b.Version;
        opt.Step();
        Assert.Equal(bBefore, b.ToArray());
        Assert.Equal(versionB, b.Version);
        Assert.Equal(versionA + 1, a.Version);
        Assert.Equal(1, opt.Snapshot().Steps["a"]);
        Assert.Equal(0, opt.Snapshot().Steps["b"]);
    }

    [Fact]
    public void ConvolutionSeesTheUpdatedWeights()
    {
        // The backend caches a reordered copy of conv weights; the update must invalidate it.
        using var w = Param(8, 4, 3, 3, 3);
        using var opt = new Sgd([new ParamGroup([("w", w)])], 0.5);
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([1, 3, 6, 6], 9);
        using (ContextNets.Autograd.GradMode.NoGrad()) F.Conv2d(x, w, padding: 1);
        SetGrad(w, Grad(1, w.Numel, 8));
        opt.Step();
        var fresh = Tensor.FromArray(w.ToArray(), w.Shape);
        // Both under NoGrad, so that both run the same (inference) kernel and must agree to the bit.
        using (ContextNets.Autograd.GradMode.NoGrad())
            Assert.Equal(F.Conv2d(x, fresh, padding: 1).ToArray(), F.Conv2d(x, w, padding: 1).ToArray());
    }

    [Fact]
    public void ChannelsLastGradientGivesTheSameUpdate()
    {
        using var p1 = Param(5, 2, 3, 2, 2);
        using var p2 = Param(5, 2, 3, 2, 2);
        using var o1 = new Sgd([new ParamGroup([("w", p1)], 0.01)], 0.1, 0.9, nesterov: true);
        using var o2 = new Sgd([new ParamGroup([("w", p2)], 0.01)], 0.1, 0.9, nesterov: true);
        for (int step = 1; step <= 3; step++)
        {
            var g = Grad(step, p1.Numel, 5);
            SetGrad(p1, g);
            using (Tensor.Scope())
            {
                var cl = Tensor.EmptyUnscoped(p2.Shape, MemoryFormat.ChannelsLast);
                F.CopyInto(Tensor.FromArray(g, p2.Shape), cl);
                p2.ZeroGrad();
                p2.Grad = cl;
            }
            o1.Step();
            o2.Step();
            Assert.Equal(p1.ToArray(), p2.ToArray());
        }
    }

    [Fact]
    public void ZeroGradDropsGradients()
    {
        using var p = Param(6, 3);
        using var opt = new Sgd([new ParamGroup([("w", p)])], 0.1);
        SetGrad(p, [1, 1, 1]);
        opt.ZeroGrad();
        Assert.Null(p.Grad);
    }

    [Fact]
    public void BadSettingsAreRejected()
    {
        using var p = Param(7, 3);
        Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([("w", p)])], 0.1, momentum: 0, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([("w", p)])], -1));
        Assert.Throws<ArgumentException>(() => new AdamW([new ParamGroup([("w", p)])], 0.1, beta1: 1.0));
        var ex = Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([("w", p)]), new ParamGroup([("w2", p)])], 0.1));
        Assert.Contains("more than one group", ex.Message);
    }
}
