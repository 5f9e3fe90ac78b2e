using ContextNets.Attention;
using ContextNets.IO;
using ContextNets.NN;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention;

/// <summary>
/// GlobalContext, SimplifiedNonLocal and SqueezeExcite: the fused kernels
/// against the composition of engine ops (the oracle that matches the PyTorch
/// vectors), channels-last inputs on the vectors, attention capture, options
/// and bad input.
/// </summary>
public class ContextBlockTests
{
    public static TheoryData<string, string, int[]> Blocks => new()
    {
        { "gc", """{"channels": 24, "rd_ratio": 0.25}""", [2, 24, 5, 6] },
        { "gc", """{"channels": 37, "fuse_add": false, "fuse_scale": true, "rd_channels": 5}""", [1, 37, 7, 3] },
        { "gc", """{"channels": 48, "fuse_scale": true, "rd_ratio": 0.125, "ln_eps": 1e-5}""", [3, 48, 4, 4] },
        { "gc", """{"channels": 20, "use_attn": false, "fuse_scale": true}""", [2, 20, 3, 5] },
        { "gc", """{"channels": 33, "use_attn": false, "fuse_add": false, "fuse_scale": true, "rd_divisor": 4}""", [1, 33, 6, 6] },
        { "snl", """{"channels": 40}""", [2, 40, 5, 5] },
        { "snl", """{"channels": 17}""", [1, 17, 9, 2] },
        { "se", """{"channels": 64}""", [2, 64, 7, 7] },
        { "se", """{"channels": 35, "rd_channels": 6}""", [1, 35, 4, 9] },
    };

    [Theory]
    [MemberData(nameof(Blocks))]
    public void FusedKernelsMatchTheComposedOps(string kind, string config, int[] shape)
    {
        using var block = ContextNets.Attention.Blocks.FromConfig(kind, config);
        Randomize(block);
        var x = RefTensor.Random(shape, 1, 2);
        var gy = RefTensor.Random(shape, 7);
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var composed = Run(block, fused: false, x, gy, format);
            var fused = Run(block, fused: true, x, gy, format);
            string what = $"{kind} {config} {format}";
            Check.Close(composed.y, fused.y, what: what + " y");
            Check.Close(composed.gx, fused.gx, what: what + " grad x");
            foreach (var (name, g) in composed.grads)
            {
                if (name == "conv_attn.bias")
                {
                    // The softmax ignores the bias, and the fused backward says so exactly.
                    Assert.Equal([0.0], fused.grads[name].Data);
                    continue;
                }
                Check.Close(g, fused.grads[name], what: $"{what} grad {name}");
            }
            Assert.Equal(composed.grads.Keys.Order(), fused.grads.Keys.Order());
        }
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void InferenceGivesTheTrainingOutput(string kind, string config, int[] shape)
    {
        using var block = ContextNets.Attention.Blocks.FromConfig(kind, config);
        Randomize(block);
        using var scope = Tensor.Scope();
        var x = F.Materialize(RefTensor.Random(shape, 1, 2).ToTensor(), MemoryFormat.ChannelsLast);
        Tensor inference;
        using (ContextNets.Autograd.GradMode.NoGrad()) inference = block.Forward(x);
        x.RequiresGrad = true;
        Assert.Equal(block.Forward(x).ToArray(), inference.ToArray());
    }

    [Theory]
    [InlineData("gc_add_att")]
    [InlineData("gc_add_avg")]
    [InlineData("gc_mul_att")]
    [InlineData("snl")]
    [InlineData("se")]
    public void ChannelsLastInputMatchesPyTorch(string name)
    {
        var file = SafetensorsFile.Read(TestData.Block(name));
        foreach (bool fused in new[] { true, false })
        {
            using var block = ContextNets.Attention.Blocks.FromConfig(file.Metadata["block"], file.Metadata["config"]);
            SetFused(block, fused);
            using var scope = Tensor.Scope();
            block.LoadStateDict(file.Keys.Where(k => k.StartsWith("param.", StringComparison.Ordinal)).ToDictionary(k => k["param.".Length..], file.Load));
            var x = F.Materialize(file.Load("x"), MemoryFormat.ChannelsLast);
            x.RequiresGrad = true;
            var y = block.Forward(x);
            Assert.True(y.IsIn(Engine.ActivationFormat), $"{name}: output {y.Format}");
            y.Backward(file.Load("grad_y"));
            string what = $"{name} channels-last fused={fused}";
            Check.Close(Expected(file, "y"), y, what: what + " y");
            Check.Close(Expected(file, "grad_x"), x.Grad!, what: what + " grad_x");
            var own = block.NamedParameters().ToDictionary(p => p.name, p => p.tensor);
            foreach (var key in file.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)))
                Check.Close(Expected(file, key), own[key["grad.".Length..]].Grad!, what: $"{what} {key}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ContextBlocksKeepTheirPoolingWeights(bool fused)
    {
        foreach (var (kind, config) in new[] { ("gc", """{"channels": 12}"""), ("snl", """{"channels": 12}""") })
        {
            var block = ContextNets.Attention.Blocks.FromConfig(kind, config);
            SetFused(block, fused);
            Randomize(block);
            var source = (IAttentionSource)block;
            var x = RefTensor.Random([2, 12, 3, 5], 1, 2);
            var w = block.StateDict()["conv_attn.weight"];
            var b = block.StateDict()["conv_attn.bias"];
            var expected = RefContextPool.Forward(x, RefTensor.From(w), RefTensor.From(b)).weights!;
            using (Tensor.Scope()) block.Forward(x.ToTensor());
            Assert.Null(source.LastAttention);

            source.CaptureAttention = true;
            using (Tensor.Scope()) block.Forward(x.ToTensor());
            var first = source.LastAttention!;
            Assert.Equal([2, 15], first.Shape.Dims.ToArray());
            Check.Close(expected, first, what: $"{kind} pooling weights");
            using (Tensor.Scope())
            {
                var xg = F.Materialize(x.ToTensor(), MemoryFormat.ChannelsLast);
                xg.RequiresGrad = true;
                F.Sum(block.Forward(xg)).Backward();
            }
            Assert.True(first.IsDisposed, $"{kind}: the previous attention was not freed");
            var second = source.LastAttention!;
            Assert.False(second.IsDisposed, $"{kind}: the kept attention belongs to a scope");
            Check.Close(expected, second, what: $"{kind} pooling weights in training");
            Assert.False(second.RequiresGrad);
            block.Dispose();
            Assert.True(second.IsDisposed, $"{kind}: Dispose did not free the attention");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SqueezeExciteKeepsItsGate(bool fused)
    {
        using var block = new SqueezeExcite(24, rdChannels: 4);
        SetFused(block, fused);
        Randomize(block);
        block.CaptureAttention = true;
        var x = RefTensor.Random([3, 24, 4, 4], 1, 2);
        using var scope = Tensor.Scope();
        var xt = x.ToTensor();
        var y = block.Forward(xt);
        var gate = block.LastAttention!;
        Assert.Equal([3, 24], gate.Shape.Dims.ToArray());
        // y = x * gate, so the gate is y / x wherever x is not tiny.
        var ya = y.ToArray();
        var xa = xt.ToArray();
        for (int i = 0; i < xa.Length; i++)
            if (Math.Abs(xa[i]) > 0.1) Assert.Equal(ya[i] / xa[i], gate[i / 16 / 24, i / 16 % 24], 4);
    }

    [Fact]
    public void AveragePoolingHasNoAttentionMap()
    {
        using var block = new GlobalContext(8, ContextPooling.Average) { CaptureAttention = true };
        using var scope = Tensor.Scope();
        block.Forward(Tensor.Randn([1, 8, 3, 3], 1));
        Assert.Null(block.LastAttention);
        Assert.DoesNotContain(block.NamedParameters(), p => p.name.StartsWith("conv_attn", StringComparison.Ordinal));
    }

    [Fact]
    public void ParameterNamesFollowTimm()
    {
        using var both = new GlobalContext(64, fusion: ContextFusion.Both);
        Assert.Equal(new[]
        {
            "conv_attn.weight", "conv_attn.bias",
            "mlp_add.fc1.weight", "mlp_add.fc1.bias", "mlp_add.norm.weight", "mlp_add.norm.bias", "mlp_add.fc2.weight", "mlp_add.fc2.bias",
            "mlp_scale.fc1.weight", "mlp_scale.fc1.bias", "mlp_scale.norm.weight", "mlp_scale.norm.bias", "mlp_scale.fc2.weight", "mlp_scale.fc2.bias",
        }, both.NamedParameters().Select(p => p.name));
        Assert.Equal([4, 64, 1, 1], both.StateDict()["mlp_add.fc1.weight"].Shape.Dims.ToArray());
        using var snl = new SimplifiedNonLocal(16);
        Assert.Equal(new[] { "conv_attn.weight", "conv_attn.bias", "transform.weight", "transform.bias" }, snl.NamedParameters().Select(p => p.name));
        using var se = new SqueezeExcite(64);
        Assert.Equal(new[] { "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" }, se.NamedParameters().Select(p => p.name));
    }

    [Theory]
    [InlineData(64, 1.0 / 16, 8, 8)]
    [InlineData(64, 1.0 / 16, 1, 4)]
    [InlineData(1024, 1.0 / 16, 8, 64)]
    [InlineData(100, 1.0 / 16, 8, 8)]
    [InlineData(200, 1.0 / 16, 8, 16)]
    [InlineData(36, 0.25, 8, 8)]
    [InlineData(60, 0.25, 8, 16)]
    [InlineData(20, 1.0 / 16, 1, 1)]
    public void ReducedWidthIsMakeDivisibleWithRoundLimitZero(int channels, double ratio, int divisor, int expected)
    {
        using var se = new SqueezeExcite(channels, ratio, rdDivisor: divisor);
        Assert.Equal(expected, se.ReducedChannels);
        using var gc = new GlobalContext(channels, rdRatio: ratio, rdDivisor: divisor);
        Assert.Equal(expected, gc.ReducedChannels);
    }

    [Fact]
    public void MakeDivisibleRaisesPastTheRoundLimit()
    {
        // 11 rounds to 8, less than 0.9 * 11: timm adds a divisor, unless the round limit is 0 (as in the blocks).
        Assert.Equal(16, Divisible.Make(11, 8));
        Assert.Equal(8, Divisible.Make(11, 8, roundLimit: 0));
        Assert.Equal(40, Divisible.Make(36, 8));
        Assert.Equal(32, Divisible.Make(10, 8, minValue: 32));
    }

    [Theory]
    [InlineData(ContextFusion.Add, 1.0)]
    [InlineData(ContextFusion.Scale, 0.5)]
    [InlineData(ContextFusion.Both, 0.5)]
    public void ZeroInitLastStartsFromTheInput(ContextFusion fusion, double factor)
    {
        using var gc = new GlobalContext(16, fusion: fusion);
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 16, 3, 3], 1);
        var y = gc.Forward(x);
        // fc2 = 0: the add transform gives 0 and the scale transform sigmoid(0) = 1/2 (mmcv's last_zero_init).
        Assert.Equal(x.ToArray().Select(v => (float)(v * factor)), y.ToArray());
        using var free = new GlobalContext(16, zeroInitLast: false);
        Assert.NotEqual(x.ToArray(), free.Forward(x).ToArray());
    }

    [Fact]
    public void TheLayerNormEpsIsAnOption()
    {
        using var timm = new GlobalContext(16);
        using var mmcv = new GlobalContext(16, lnEps: 1e-5f);
        Assert.Equal(1e-6f, timm.MlpAdd!.Norm.Eps);
        Assert.Equal(1e-5f, mmcv.MlpAdd!.Norm.Eps);
        using var fromConfig = (GlobalContext)ContextNets.Attention.Blocks.FromConfig("gc", """{"channels": 16, "fuse_scale": true, "ln_eps": 1e-5}""");
        Assert.Equal(1e-5f, fromConfig.MlpScale!.Norm.Eps);
        Assert.Equal(ContextFusion.Both, fromConfig.Fusion);
    }

    [Fact]
    public void BadInputFailsClearly()
    {
        using var scope = Tensor.Scope();
        using var gc = new GlobalContext(32);
        using var snl = new SimplifiedNonLocal(32);
        using var se = new SqueezeExcite(32);
        foreach (var (block, name) in new (Module, string)[] { (gc, "GlobalContext"), (snl, "SimplifiedNonLocal"), (se, "SqueezeExcite") })
        {
            var wrong = Assert.Throws<ArgumentException>(() => block.Forward(Tensor.Randn([2, 16, 4, 4], 1))).Message;
            Assert.Contains(name, wrong);
            Assert.Contains("32", wrong);
            Assert.Contains("[2, 16, 4, 4]", wrong);
            Assert.Contains("[2, 32, 16]", Assert.Throws<ArgumentException>(() => block.Forward(Tensor.Randn([2, 32, 16], 1))).Message);
        }
        Assert.Contains("unknown pooling", Assert.Throws<ArgumentException>(() => new GlobalContext(8, (ContextPooling)7)).Message);
        Assert.Contains("unknown fusion", Assert.Throws<ArgumentException>(() => new GlobalContext(8, fusion: 0)).Message);
        Assert.Contains("fuses nothing", Assert.Throws<ArgumentException>(() =>
            ContextNets.Attention.Blocks.FromConfig("gc", """{"channels": 8, "fuse_add": false}""")).Message);
        Assert.Contains("'reduction'", Assert.Throws<ArgumentException>(() =>
            ContextNets.Attention.Blocks.FromConfig("se", """{"channels": 8, "reduction": 4}""")).Message);
        Assert.Contains("'channels'", Assert.Throws<ArgumentException>(() => ContextNets.Attention.Blocks.FromConfig("snl", "{}")).Message);
        Assert.Contains("rd_ratio", Assert.Throws<ArgumentException>(() => new SqueezeExcite(8, rdRatio: 0)).Message);
    }

    private static void Randomize(Module block)
    {
        int seed = 11;
        foreach (var (_, p) in block.NamedParameters())
        {
            using var r = RefTensor.Random(p.Shape.Dims.ToArray(), seed++, 0.7).ToTensor();
            F.CopyInto(r, p);
        }
    }

    private static void SetFused(Module block, bool fused)
    {
        switch (block)
        {
            case GlobalContext gc: gc.UseFusedKernels = fused; break;
            case SimplifiedNonLocal snl: snl.UseFusedKernels = fused; break;
            case SqueezeExcite se: se.UseFusedKernels = fused; break;
            default: throw new ArgumentException($"{block.GetType().Name} has no fused kernels.");
        }
    }

    private static (RefTensor y, RefTensor gx, Dictionary<string, RefTensor> grads) Run(Module block, bool fused, RefTensor x, RefTensor gy, MemoryFormat format)
    {
        SetFused(block, fused);
        block.ZeroGrad();
        using var scope = Tensor.Scope();
        var xt = F.Materialize(x.ToTensor(), format);
        xt.RequiresGrad = true;
        var y = block.Forward(xt);
        y.Backward(gy.ToTensor());
        var grads = block.NamedParameters().ToDictionary(p => p.name, p => RefTensor.From(p.tensor.Grad!));
        block.ZeroGrad();
        return (RefTensor.From(y), RefTensor.From(xt.Grad!), grads);
    }

    private static RefTensor Expected(SafetensorsFile file, string key)
    {
        using var t = file.Load(key);
        return RefTensor.From(t);
    }
}
