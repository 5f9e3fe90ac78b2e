using ContextNets.Attention;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Attention;

/// <summary>Split attention and selective kernels as modules: timm's names, the captured gate, layouts, bad input.</summary>
public class SplitAttentionTests
{
    [Fact]
    public void SplitAttentionHasTimmsParameterNames()
    {
        using var block = new SplitAttention(32, groups: 2, radix: 2);
        var shapes = block.StateDict().ToDictionary(p => p.Key, p => p.Value.Shape.ToString());
        Assert.Equal("[64, 8, 3, 3]", shapes["conv.weight"]);
        Assert.Equal("[64]", shapes["bn0.running_var"]);
        Assert.Equal("[32, 16, 1, 1]", shapes["fc1.weight"]);
        Assert.Equal("[32]", shapes["bn1.running_mean"]);
        Assert.Equal("[64, 16, 1, 1]", shapes["fc2.weight"]);
        Assert.Equal("[64]", shapes["fc2.bias"]);
        Assert.Equal(13, shapes.Count);
        Assert.False(shapes.ContainsKey("conv.bias"));
    }

    [Fact]
    public void SelectiveKernelHasTimmsParameterNames()
    {
        using var block = new SelectiveKernel(64, 128);
        var shapes = block.StateDict().ToDictionary(p => p.Key, p => p.Value.Shape.ToString());
        Assert.Equal("[128, 32, 3, 3]", shapes["paths.0.conv.weight"]);
        Assert.Equal("[128, 32, 3, 3]", shapes["paths.1.conv.weight"]);
        Assert.Equal("[128]", shapes["paths.1.bn.running_var"]);
        Assert.Equal("[8, 128, 1, 1]", shapes["attn.fc_reduce.weight"]);
        Assert.Equal("[8]", shapes["attn.bn.weight"]);
        Assert.Equal("[256, 8, 1, 1]", shapes["attn.fc_select.weight"]);
        Assert.Equal(16, shapes.Count);
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(1, false)]
    public void SplitAttentionCapturesTheGateItComputed(int radix, bool training)
    {
        using var block = new SplitAttention(16, radix: radix);
        block.Train(training);
        Tensor first;
        using (Tensor.Scope())
        {
            block.Forward(Tensor.Randn([2, 16, 5, 5], 1));
            Assert.Null(block.LastAttention);
            block.CaptureAttention = true;
            block.Forward(Tensor.Randn([2, 16, 5, 5], 2));
            first = block.LastAttention!;
        }
        // The captured gate outlives the scope of the forward that made it.
        Assert.Equal([2, radix, 16], first.Shape.Dims.ToArray());
        var gate = first.ToArray();
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 16; c++)
            {
                double sum = 0;
                for (int r = 0; r < radix; r++) sum += gate[(n * radix + r) * 16 + c];
                if (radix > 1) Assert.Equal(1.0, sum, 5);
                else Assert.InRange(sum, 0.0, 1.0);
            }
        using (Tensor.Scope()) block.Forward(Tensor.Randn([2, 16, 5, 5], 3));
        Assert.True(first.IsDisposed);
        Assert.False(block.LastAttention!.IsDisposed);
    }

    [Fact]
    public void SplitAttentionGateIsTheOneThatWeighsTheSplits()
    {
        using var block = new SplitAttention(8, radix: 2);
        block.Eval();
        block.CaptureAttention = true;
        using var scope = Tensor.Scope();
        var x = Tensor.Randn([2, 8, 4, 4], 4);
        var y = block.Forward(x);
        var state = block.StateDict();
        var u = F.Relu(F.BatchNorm2d(F.Conv2d(x, state["conv.weight"], padding: 1, groups: 2), state["bn0.weight"], state["bn0.bias"],
            state["bn0.running_mean"], state["bn0.running_var"], training: false));
        Check.Close(RefRadix.Combine(RefTensor.From(u), RefTensor.From(block.LastAttention!)), y, what: "output from the captured gate");
    }

    [Fact]
    public void SelectiveKernelCapturesASoftmaxOverThePaths()
    {
        using var block = new SelectiveKernel(8, 16);
        block.CaptureAttention = true;
        using var scope = Tensor.Scope();
        block.Forward(Tensor.Randn([3, 8, 6, 6], 5));
        var a = block.LastAttention!;
        Assert.Equal([3, 2, 16], a.Shape.Dims.ToArray());
        for (int n = 0; n < 3; n++)
            for (int c = 0; c < 16; c++)
                Assert.Equal(1.0, a[n, 0, c] + a[n, 1, c], 5);
    }

    [Theory]
    [InlineData("splat", "{\"cin\": 16, \"radix\": 2}")]
    [InlineData("sk", "{\"in_channels\": 16, \"out_channels\": 8, \"stride\": 2}")]
    public void BothLayoutsGiveTheSameResult(string kind, string config)
    {
        using var block = Blocks.FromConfig(kind, config);
        var x = RefTensor.Random([2, 16, 7, 7], 6);
        var gy = RefTensor.Random(kind == "sk" ? [2, 8, 4, 4] : [2, 16, 7, 7], 7);
        var (y0, g0) = Fast.ForwardBackward(t => block.Forward(t[0]), [x], gy, MemoryFormat.Contiguous);
        var (y1, g1) = Fast.ForwardBackward(t => block.Forward(t[0]), [x], gy, MemoryFormat.ChannelsLast);
        Check.Close(y0, y1, what: kind + " y");
        Check.Close(g0[0]!, g1[0]!, what: kind + " grad x");
    }

    [Fact]
    public void BadSplitAttentionInputFailsClearly()
    {
        using var block = new SplitAttention(16, radix: 2);
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => block.Forward(Tensor.Zeros([2, 12, 5, 5])));
        Assert.Contains("[N, 16, H, W]", ex.Message);
        Assert.Contains("[2, 12, 5, 5]", ex.Message);
        Assert.Contains("radix must be at least 1", Assert.Throws<ArgumentException>(() => new SplitAttention(16, radix: 0)).Message);
        Assert.Contains("groups * radix = 3 * 2", Assert.Throws<ArgumentException>(() => new SplitAttention(16, groups: 3)).Message);
        Assert.Contains("groups = 4", Assert.Throws<ArgumentException>(() => new SplitAttention(16, outChannels: 6, groups: 4, radix: 1)).Message);
        Assert.Contains("kernel size", Assert.Throws<ArgumentException>(() => new SplitAttention(16, kernelSize: 0)).Message);
        Assert.Contains("'foo'", Assert.Throws<ArgumentException>(() => Blocks.FromConfig("splat", "{\"cin\": 16, \"foo\": 1}")).Message);
        Assert.Contains("'cin'", Assert.Throws<ArgumentException>(() => Blocks.FromConfig("splat", "{\"radix\": 2}")).Message);
    }

    [Fact]
    public void BadSelectiveKernelInputFailsClearly()
    {
        using var block = new SelectiveKernel(16, 32);
        using var scope = Tensor.Scope();
        Assert.Contains("[2, 8, 5, 5]", Assert.Throws<ArgumentException>(() => block.Forward(Tensor.Zeros([2, 8, 5, 5]))).Message);
        Assert.Contains("[3, 4]", Assert.Throws<ArgumentException>(() => new SelectiveKernel(16, kernelSizes: [3, 4])).Message);
        Assert.Contains("[]", Assert.Throws<ArgumentException>(() => new SelectiveKernel(16, kernelSizes: [])).Message);
        Assert.Contains("15 input channels", Assert.Throws<ArgumentException>(() => new SelectiveKernel(15)).Message);
        Assert.Contains("groups = 3", Assert.Throws<ArgumentException>(() => new SelectiveKernel(16, 24, groups: 3)).Message);
        Assert.Contains("'paths'", Assert.Throws<ArgumentException>(() => Blocks.FromConfig("sk", "{\"in_channels\": 16, \"paths\": 3}")).Message);
    }

    [Fact]
    public void OneKernelSizeInTheConfigMeansTwoPathsOfIt()
    {
        using var block = (SelectiveKernel)Blocks.FromConfig("sk", "{\"in_channels\": 16, \"kernel_size\": 5, \"keep_3x3\": false}");
        Assert.Equal(2, block.Paths);
        Assert.Equal("[16, 8, 5, 5]", block.StateDict()["paths.1.conv.weight"].Shape.ToString());
    }
}
