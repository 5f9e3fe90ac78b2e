using ContextNets.Backend.Dnnl;

namespace ContextNets.Tests.Backend;

/// <summary>
/// Every convolution the model zoo uses must land on an optimized oneDNN
/// kernel in the activation layout, forward and both backwards; oneDNN falls
/// back silently to its reference loops (hundreds of times slower) otherwise.
/// </summary>
public class DnnlConvKernelTests
{
    public static TheoryData<string, int, int, int, int, int, int, int> Shapes => new()
    {
        // what, cin, cout, hw, k, stride, dilation, groups
        { "resnet50 3x3", 64, 64, 56, 3, 1, 1, 1 },
        { "resnet50 1x1 reduce", 256, 64, 56, 1, 1, 1, 1 },
        { "resnet50 1x1 downsample s2", 256, 512, 56, 1, 2, 1, 1 },
        { "resnet50 3x3 s2", 128, 128, 56, 3, 2, 1, 1 },
        { "resnet50 7x7 stem", 3, 64, 224, 7, 2, 1, 1 },
        { "resnext 3x3 32 groups", 128, 128, 56, 3, 1, 1, 32 },
        { "resnest 3x3 radix 2", 64, 128, 56, 3, 1, 1, 2 },
        { "selective kernel dilated 3x3", 64, 64, 56, 3, 1, 2, 1 },
        { "cifar resnet 3x3", 16, 16, 28, 3, 1, 1, 1 },
        { "cifar resnet grayscale stem", 1, 16, 28, 3, 1, 1, 1 },
        { "attention 1x1 on a vector", 256, 16, 1, 1, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBothBackwardsUseOptimizedKernels(string what, int cin, int cout, int hw, int k, int stride, int dilation, int groups)
    {
        int pad = dilation * (k - 1) / 2;
        var g = new ConvGeometry(8, cin, hw, hw, cout, k, k, stride, stride, pad, pad, dilation, dilation, groups);
        var gradLayout = Tensor.StridesFor(new Shape(g.N, cin, hw, hw), DnnlConv.BackwardDataLayout(g));
        var kernels = new (string pass, string impl)[]
        {
            ("inference", DnnlConv.ForwardPrimitive(g, hasBias: true, training: false, postOps: null).Implementation),
            ("training", DnnlConv.ForwardPrimitive(g, hasBias: true, training: true, postOps: null).Implementation),
            ("backward data", DnnlConv.BackwardDataPrimitive(g, gradLayout).Implementation),
            ("backward weights", DnnlConv.BackwardWeightsPrimitive(g, hasBias: true).Implementation),
        };
        foreach (var (pass, impl) in kernels)
            Assert.False(impl.StartsWith("ref", StringComparison.Ordinal), $"{what}, {pass}: oneDNN chose {impl}");
    }
}
