using ContextNets.Attention;
using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention;

public class NonLocalTests
{
    private static readonly string[] Modes = ["gaussian", "embedded_gaussian", "dot_product", "concatenation"];

    /// <summary>
    /// Inputs of every rank; odd sizes exercise floor-mode pooling. Each keeps at least 6 keys after
    /// pooling: with 2, a train-mode norm sees conv_out outputs that are all affine in one number per
    /// position, and its gradient becomes a difference of large terms that float32 cannot resolve.
    /// </summary>
    public static TheoryData<int[]> Inputs => new()
    {
        new[] { 2, 8, 6 }, new[] { 2, 8, 4, 4 }, new[] { 1, 8, 5, 7 }, new[] { 2, 8, 2, 4, 4 }, new[] { 1, 8, 3, 3, 5 },
    };

    [Fact]
    public void ReferenceMatchesPyTorchVectors()
    {
        foreach (var path in Directory.GetFiles(TestData.BlocksDir, "nl_*.safetensors"))
        {
            var file = SafetensorsFile.Read(path);
            using var block = Blocks.FromConfig("nl", file.Metadata["config"]);
            var nl = (NonLocal)block;
            var cfg = new RefNonLocalConfig(nl.Mode.Name(), nl.SubSample, nl.UseScale, Training: file.Metadata["mode"] == "train");
            var p = file.Keys.Where(k => k.StartsWith("param.", StringComparison.Ordinal)).ToDictionary(k => k["param.".Length..], k => Load(file, k));
            var x = Load(file, "x");
            string name = Path.GetFileNameWithoutExtension(path);
            // The expected values are float64 results rounded to float32.
            Check.Close(Load(file, "y"), RefNonLocal.Forward(x, p, cfg).z, 1e-7, 1e-9, $"{name} reference y");
            var grads = RefNonLocal.Backward(x, p, cfg, Load(file, "grad_y"));
            Check.Close(Load(file, "grad_x"), grads["x"], 1e-7, 1e-9, $"{name} reference grad_x");
            foreach (var key in file.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)))
                Check.Close(Load(file, key), grads[key["grad.".Length..]], 1e-7, 1e-9, $"{name} reference {key}");
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void ReferenceGradientMatchesFiniteDifferences(int[] shape)
    {
        foreach (string mode in Modes)
        foreach (bool sub in new[] { false, true })
        {
            bool norm = mode is "embedded_gaussian" or "dot_product";
            using var block = new NonLocal(shape[1], PairwiseNames.Parse(mode), subSample: sub, norm: norm);
            var p = RandomParams(block, 11);
            var cfg = new RefNonLocalConfig(mode, sub, Norm: norm);
            var names = p.Keys.Where(k => !k.Contains("running")).ToArray();
            var x = RefTensor.Random(shape, 3);
            var gz = RefTensor.Random(shape, 4);
            var grads = RefNonLocal.Backward(x, p, cfg, gz);
            RefTensor Run(RefTensor[] v)
            {
                var q = new Dictionary<string, RefTensor>(p);
                for (int i = 0; i < names.Length; i++) q[names[i]] = v[i + 1];
                return RefNonLocal.Forward(v[0], q, cfg).z;
            }
            GradCheck.Verify(Run, [x, .. names.Select(n => p[n])], gz, [grads["x"], .. names.Select(n => grads[n])],
                $"non-local {mode} sub_sample={sub} norm={norm} {Shape.Format(shape)}", maxSamples: 20);
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void BlockMatchesReference(int[] shape)
    {
        var formats = shape.Length == 4 ? new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast } : [MemoryFormat.Contiguous];
        foreach (string mode in Modes)
        foreach (bool sub in new[] { false, true })
        foreach (bool norm in new[] { false, true })
        foreach (var format in formats)
        {
            using var block = new NonLocal(shape[1], PairwiseNames.Parse(mode), subSample: sub, useScale: mode == "embedded_gaussian" && !norm, norm: norm);
            var p = RandomParams(block, 21);
            LoadParams(block, p);
            // A train-mode norm is checked after dot_product only. After a softmax the g bias shifts every y_i alike,
            // which the norm removes, so its gradient is exactly 0 and float32 gets it as large terms that cancel; and
            // concatenation averages g with positive weights, so conv_out's output varies little around a large mean,
            // which makes the norm's backward a difference of large terms too. The others run the norm in eval mode.
            bool training = !norm || mode == "dot_product";
            block.Train(training);
            var cfg = new RefNonLocalConfig(mode, sub, block.UseScale, norm, training);
            string what = $"non-local {mode} sub_sample={sub} norm={norm} {Shape.Format(shape)} {format}";
            var x = RefTensor.Random(shape, 5);
            var gz = RefTensor.Random(shape, 6);
            var (z, attention) = RefNonLocal.Forward(x, p, cfg);
            var grads = RefNonLocal.Backward(x, p, cfg, gz);
            var run = Run(block, x, gz, format);
            if (shape.Length == 4) Assert.Equal(Engine.ActivationFormat, run.Format);
            Check.Close(z, run.Z, what: what + " z");
            Check.Close(attention, run.Attention, what: what + " attention");
            Check.Close(grads["x"], run.Grads["x"], what: what + " grad x");
            foreach (var (name, g) in grads.Where(kv => kv.Key != "x"))
                Check.Close(g, run.Grads[name], what: $"{what} grad {name}");
            Assert.Equal(grads.Count, run.Grads.Count);
            if (!norm || !training) continue;
            var o = OutputBeforeNorm(x, p, cfg);
            var (mean, var) = RefBatchNorm.UpdateRunning(o, p["norm.running_mean"], p["norm.running_var"], 0.1);
            Check.Close(mean, run.Buffers["norm.running_mean"], what: what + " running mean");
            Check.Close(var, run.Buffers["norm.running_var"], what: what + " running var");
        }
    }

    [Fact]
    public void EvalModeNormalizesWithRunningStats()
    {
        int[] shape = [2, 8, 4, 4];
        using var block = new NonLocal(8, Pairwise.EmbeddedGaussian, subSample: true, norm: true);
        var p = RandomParams(block, 31);
        LoadParams(block, p);
        block.Eval();
        var cfg = new RefNonLocalConfig("embedded_gaussian", true, Norm: true, Training: false);
        var x = RefTensor.Random(shape, 7);
        var gz = RefTensor.Random(shape, 8);
        var run = Run(block, x, gz, MemoryFormat.ChannelsLast);
        Check.Close(RefNonLocal.Forward(x, p, cfg).z, run.Z, what: "eval z");
        var grads = RefNonLocal.Backward(x, p, cfg, gz);
        foreach (var (name, g) in grads) Check.Close(g, run.Grads[name], what: "eval grad " + name);
        Check.Close(p["norm.running_mean"], run.Buffers["norm.running_mean"], what: "running mean untouched");
    }

    [Fact]
    public void InferenceMatchesTraining()
    {
        using var block = new NonLocal(8, Pairwise.EmbeddedGaussian, subSample: true);
        LoadParams(block, RandomParams(block, 41));
        var x = RefTensor.Random([2, 8, 6, 6], 9);
        var recorded = Run(block, x, RefTensor.Random(x.Shape, 10), MemoryFormat.ChannelsLast).Z;
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var z = block.Forward(F.Materialize(x.ToTensor(), MemoryFormat.ChannelsLast));
        Assert.False(z.RequiresGrad);
        Check.Close(recorded, z, 0, 0, "no-grad forward");
    }

    /// <summary>3-D inputs with one frame and 1-D inputs are 2-D inputs with the same weights, sub-sampling included where it can be.</summary>
    [Theory]
    [InlineData("embedded_gaussian")]
    [InlineData("concatenation")]
    [InlineData("gaussian")]
    public void OtherRanksAgreeWithTwoDims(string mode)
    {
        using var block = new NonLocal(8, PairwiseNames.Parse(mode), subSample: true);
        LoadParams(block, RandomParams(block, 51));
        using var flat = new NonLocal(8, PairwiseNames.Parse(mode));
        using (Tensor.Scope()) flat.LoadStateDict(block.StateDict());

        (int[] other, int[] flat2d, NonLocal b)[] cases =
        [
            ([2, 8, 1, 4, 6], [2, 8, 4, 6], block),  // one frame: the (1, 2, 2) pooling is the 2x2 one
            ([2, 8, 3, 2, 4], [2, 8, 6, 4], flat),   // no pooling: frames stack along H
            ([2, 8, 7], [2, 8, 7, 1], flat),         // 1-D is a column
        ];
        foreach (var (other, flat2d, b) in cases)
        {
            var x = RefTensor.Random(other, 12);
            var gz = RefTensor.Random(other, 13);
            var a = Run(b, x, gz, MemoryFormat.Contiguous);
            var c = Run(b, new RefTensor(flat2d, x.Data), new RefTensor(flat2d, gz.Data), MemoryFormat.Contiguous);
            string what = $"{mode} {Shape.Format(other)} vs {Shape.Format(flat2d)}";
            Check.Close(new RefTensor(other, c.Z.Data), a.Z, 1e-6, 1e-7, what + " z");
            Check.Close(c.Attention, a.Attention, 1e-6, 1e-7, what + " attention");
            foreach (var (name, g) in c.Grads)
                Check.Close(new RefTensor(a.Grads[name].Shape, g.Data), a.Grads[name], 1e-6, 1e-7, $"{what} grad {name}");
        }
    }

    /// <summary>The fused op against the same math from engine ops with their own tested gradients.</summary>
    [Theory]
    [InlineData(new[] { 2, 8, 6, 4 })]
    [InlineData(new[] { 2, 8, 2, 5, 4 })]
    public void FusedAttentionMatchesComposedOps(int[] shape)
    {
        foreach (string mode in Modes)
        foreach (bool sub in new[] { false, true })
        {
            using var block = new NonLocal(8, PairwiseNames.Parse(mode), subSample: sub);
            LoadParams(block, RandomParams(block, 61));
            var x = RefTensor.Random(shape, 14);
            var composed = RunAttention(block, x, NonLocalComposed.Forward);
            var fused = RunAttention(block, x, NonLocalAttention.Forward);
            string what = $"attention {mode} sub_sample={sub} {Shape.Format(shape)}";
            for (int i = 0; i < composed.Length; i++) Check.Close(composed[i], fused[i], what: $"{what} output {i}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StartsAsTheIdentity(bool norm)
    {
        foreach (string mode in Modes)
        {
            using var block = new NonLocal(8, PairwiseNames.Parse(mode), subSample: true, norm: norm);
            using var scope = Tensor.Scope();
            var x = Tensor.Randn([2, 8, 4, 6], 15);
            Assert.Equal(x.ToArray(), block.Forward(x).ToArray());
            var zeroed = norm ? block.Norm!.Weight : block.ConvOut.Weight;
            Assert.All(zeroed.ToArray(), v => Assert.Equal(0f, v));
            Assert.Contains(block.G.Weight.ToArray(), v => v != 0f);
        }
    }

    [Fact]
    public void CapturesThePairwiseMapItUsed()
    {
        using var block = new NonLocal(8, Pairwise.EmbeddedGaussian, subSample: true);
        LoadParams(block, RandomParams(block, 71));
        using (Tensor.Scope()) block.Forward(Tensor.Randn([2, 8, 4, 4], 16));
        Assert.Null(block.LastAttention);

        block.CaptureAttention = true;
        var x = RefTensor.Random([2, 8, 6, 4], 17);
        using (Tensor.Scope()) block.Forward(x.ToTensor());
        var first = block.LastAttention!;
        Assert.Equal(new Shape(2, 24, 6), first.Shape);
        var a = RefTensor.From(first);
        for (int row = 0; row < 2 * 24; row++) Assert.Equal(1.0, a.Data.Skip(row * 6).Take(6).Sum(), 5);
        Check.Close(RefNonLocal.Forward(x, RandomParams(block, 71), new RefNonLocalConfig("embedded_gaussian", true)).attention, first, what: "captured");

        using (Tensor.Scope()) block.Forward(Tensor.Randn([1, 8, 2, 2], 18));
        Assert.True(first.IsDisposed);
        Assert.Equal(new Shape(1, 4, 1), block.LastAttention!.Shape);
        var last = block.LastAttention;
        block.Dispose();
        Assert.True(last.IsDisposed);
    }

    [Fact]
    public void BadInputFailsClearly()
    {
        using var block = new NonLocal(8, subSample: true);
        using var scope = Tensor.Scope();
        string Fails(params int[] shape) => Assert.Throws<ArgumentException>(() => block.Forward(Tensor.Zeros(shape))).Message;

        Assert.Contains("8 channels) got input [2, 4, 4, 4] with 4 channels", Fails(2, 4, 4, 4));
        Assert.Contains("got [2, 8] (rank 2)", Fails(2, 8));
        Assert.Contains("got [1, 8, 2, 2, 2, 2] (rank 6)", Fails(1, 8, 2, 2, 2, 2));
        Assert.Contains("H and W of at least 2", Fails(2, 8, 1, 4));
        Assert.Contains("[2, 8, 1, 4] is too small", Fails(2, 8, 1, 4));
        Assert.Contains("[2, 8, 3, 4, 1] is too small", Fails(2, 8, 3, 4, 1));
        Assert.Contains("L of at least 2", Fails(2, 8, 1));
        Assert.Contains("Unknown non-local mode 'cosine'; the modes are gaussian, embedded_gaussian, dot_product, concatenation",
            Assert.Throws<ArgumentException>(() => Blocks.FromConfig("nl", """{"channels": 8, "mode": "cosine"}""")).Message);
        Assert.Contains("Unknown nl config key(s): 'inter_channels'",
            Assert.Throws<ArgumentException>(() => Blocks.FromConfig("nl", """{"channels": 8, "inter_channels": 4}""")).Message);
        Assert.Contains("needs 'channels'", Assert.Throws<ArgumentException>(() => Blocks.FromConfig("nl", "{}")).Message);
        Assert.Contains("reduction must be at least 1", Assert.Throws<ArgumentException>(() => new NonLocal(8, reduction: 0)).Message);
    }

    [Fact]
    public void ConfigBuildsTheNamedParameters()
    {
        using var defaults = (NonLocal)Blocks.FromConfig("nl", """{"channels": 16}""");
        Assert.Equal((Pairwise.EmbeddedGaussian, 8, false, true, false), (defaults.Mode, defaults.Inner, defaults.SubSample, defaults.UseScale, defaults.Norm is not null));
        Assert.Equal(["conv_out.bias", "conv_out.weight", "g.bias", "g.weight", "phi.bias", "phi.weight", "theta.bias", "theta.weight"],
            defaults.StateDict().Keys.Order(StringComparer.Ordinal).ToArray());

        using var full = (NonLocal)Blocks.FromConfig("nl", """{"channels": 16, "mode": "concatenation", "reduction": 4, "sub_sample": true, "use_scale": false, "norm": true}""");
        Assert.Equal((Pairwise.Concatenation, 4, true, false), (full.Mode, full.Inner, full.SubSample, full.UseScale));
        var shapes = full.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape.ToString());
        Assert.Equal("[1, 8, 1, 1]", shapes["concat_project.weight"]);
        Assert.Equal("[16, 4, 1, 1]", shapes["conv_out.weight"]);
        Assert.False(shapes.ContainsKey("conv_out.bias"));
        Assert.Equal("[16]", shapes["norm.running_var"]);

        using var gaussian = (NonLocal)Blocks.FromConfig("nl", """{"channels": 16, "mode": "gaussian"}""");
        Assert.Equal(["conv_out.bias", "conv_out.weight", "g.bias", "g.weight"], gaussian.StateDict().Keys.Order(StringComparer.Ordinal).ToArray());
    }

    // ---------------------------------------------------------------- helpers

    internal sealed record Result(RefTensor Z, RefTensor Attention, Dictionary<string, RefTensor> Grads, Dictionary<string, RefTensor> Buffers, MemoryFormat Format);

    /// <summary>Forward with the attention captured, backward of sum(z * gz); the gradients by parameter name and "x".</summary>
    internal static Result Run(NonLocal block, RefTensor x, RefTensor gz, MemoryFormat format)
    {
        using var scope = Tensor.Scope();
        block.ZeroGrad();
        block.CaptureAttention = true;
        var xt = F.Materialize(x.ToTensor(), format);
        xt.RequiresGrad = true;
        var z = block.Forward(xt);
        z.Backward(gz.ToTensor());
        var grads = block.NamedParameters().ToDictionary(p => p.name, p => RefTensor.From(p.tensor.Grad!));
        grads["x"] = RefTensor.From(xt.Grad!);
        var buffers = block.NamedBuffers().ToDictionary(b => b.name, b => RefTensor.From(b.tensor));
        return new Result(RefTensor.From(z), RefTensor.From(block.LastAttention!), grads, buffers, z.Format);
    }

    /// <summary>W_z y + b, the pairwise map, and the gradients of x and each parameter, for one implementation of the block before its residual.</summary>
    private static RefTensor[] RunAttention(NonLocal block, RefTensor x, Func<Tensor, NonLocalGeometry, NonLocalParams, (Tensor, Tensor)> forward)
    {
        using var scope = Tensor.Scope();
        block.ZeroGrad();
        var xt = x.ToTensor();
        xt.RequiresGrad = true;
        var geo = NonLocalGeometry.Of(xt, 8, block.SubSample);
        var map = F.ToFormat(F.Reshape(xt, [.. geo.MapShape(8).Dims]), MemoryFormat.ChannelsLast);
        var (y, attention) = forward(map, geo, block.Params);
        y.Backward(Tensor.Randn(y.Shape, 19));
        return [RefTensor.From(y), RefTensor.From(attention), RefTensor.From(xt.Grad!), .. block.Parameters().Select(p => RefTensor.From(p.Grad!))];
    }

    internal static Dictionary<string, RefTensor> RandomParams(NonLocal block, int seed)
    {
        var p = new Dictionary<string, RefTensor>();
        foreach (var (name, t) in block.StateDict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var r = RefTensor.Random(t.Shape.Dims.ToArray(), seed++, 0.5);
            if (name.EndsWith("running_var", StringComparison.Ordinal)) r = new RefTensor(r.Shape, r.Data.Select(v => 0.75 + v).ToArray());
            p[name] = r;
        }
        return p;
    }

    internal static void LoadParams(NonLocal block, Dictionary<string, RefTensor> p)
    {
        using var scope = Tensor.Scope();
        block.LoadStateDict(p.ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor()));
    }

    /// <summary>conv_out's output as [N, C, Np, 1], what the norm sees: z - x with the norm off and the same conv_out.</summary>
    private static RefTensor OutputBeforeNorm(RefTensor x, Dictionary<string, RefTensor> p, RefNonLocalConfig cfg)
    {
        var q = new Dictionary<string, RefTensor>(p) { ["conv_out.bias"] = new RefTensor([p["conv_out.weight"].Shape[0]]) };
        var z = RefNonLocal.Forward(x, q, cfg with { Norm = false }).z;
        var o = new RefTensor([x.Shape[0], x.Shape[1], x.Length / (x.Shape[0] * x.Shape[1]), 1]);
        for (int i = 0; i < o.Length; i++) o.Data[i] = z.Data[i] - x.Data[i];
        return o;
    }

    private static RefTensor Load(SafetensorsFile file, string key)
    {
        using var t = file.Load(key);
        return RefTensor.From(t);
    }
}
