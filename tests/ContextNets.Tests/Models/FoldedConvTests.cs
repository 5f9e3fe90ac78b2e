using ContextNets.Autograd;
using ContextNets.Backend.Dnnl;
using ContextNets.Models.Inference;
using ContextNets.NN;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Models;

/// <summary>A folded conv against conv, BN and ReLU run apart; the Winograd kernels against the direct ones; the fused residual sum.</summary>
public class FoldedConvTests
{
    [Theory]
    [InlineData(3, 1, 1, 1, 1)]
    [InlineData(3, 2, 1, 1, 1)]
    [InlineData(1, 1, 1, 1, 1)]
    [InlineData(3, 1, 2, 1, 1)]
    [InlineData(3, 1, 1, 4, 1)]
    [InlineData(7, 2, 1, 1, 3)]
    public void FoldingIsConvThenBatchNormThenRelu(int k, int stride, int dilation, int groups, int batch)
    {
        using var conv = new Conv2d(16, 32, k, stride, dilation * (k / 2), dilation, groups, bias: groups > 1);
        using var bn = Norm(32);
        bn.Eval();
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = Tensor.Randn([batch, 16, 13, 15], 3);
        var expected = RefTensor.From(F.Relu(bn.Forward(conv.Forward(x))));
        foreach (bool winograd in new[] { true, false })
        {
            using var folded = new FoldedConv(conv, bn, relu: true, winograd);
            Check.Close(expected, folded.Run(x), what: $"k {k} stride {stride} dilation {dilation} groups {groups} winograd {winograd}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void TheFusedSumAddsTheShortcutBeforeTheRelu(int k)
    {
        using var conv = new Conv2d(8, 8, k, 1, k / 2, bias: false);
        using var bn = Norm(8);
        bn.Eval();
        using var folded = new FoldedConv(conv, bn, relu: false);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var x = F.ToFormat(Tensor.Randn([2, 8, 9, 9], 1), Engine.ActivationFormat);
        var shortcut = F.ToFormat(Tensor.Randn([2, 8, 9, 9], 2), Engine.ActivationFormat);
        var expected = RefTensor.From(F.Relu(F.Add(bn.Forward(conv.Forward(x)), shortcut)));
        var into = F.Materialize(shortcut, Engine.ActivationFormat);
        var result = folded.RunInto(x, into);
        Assert.Same(into, result);
        Check.Close(expected, result, what: $"k {k} fused sum");
        // Without the sum the conv's own ReLU setting holds: none here, so negative values stay.
        Assert.Contains(folded.Run(x).ToArray(), v => v < 0);
    }

    [Fact]
    public void BadInputsNameTheShapes()
    {
        using var conv = new Conv2d(8, 8, 3, 1, 1, bias: false);
        using var folded = new FoldedConv(conv, null, relu: false);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var ex = Assert.Throws<ArgumentException>(() => folded.Run(Tensor.Zeros([1, 4, 9, 9])));
        Assert.Contains("[1, 4, 9, 9]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => folded.RunInto(Tensor.Zeros([1, 8, 9, 9]), Tensor.Zeros([1, 8, 5, 5])));
        Assert.Contains("[1, 8, 5, 5]", ex.Message);
    }

    private static BatchNorm2d Norm(int c)
    {
        var bn = new BatchNorm2d(c);
        var rng = new Random(c);
        foreach (var (name, t) in bn.StateDict())
        {
            var span = t.Span;
            for (int i = 0; i < span.Length; i++)
                span[i] = name is "weight" or "running_var" ? (float)(0.5 + rng.NextDouble()) : (float)(rng.NextDouble() - 0.5);
        }
        return bn;
    }
}
