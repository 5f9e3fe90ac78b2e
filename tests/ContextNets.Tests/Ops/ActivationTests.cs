using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class ActivationTests
{
    public static TheoryData<string, int[]> Cases => new()
    {
        { "relu", [7, 13] },
        { "relu", [2, 3, 4, 5] },
        { "relu", [2, 8, 64, 64] },
        { "sigmoid", [7, 13] },
        { "sigmoid", [2, 3, 4, 5] },
        { "sigmoid", [2, 8, 64, 64] },
        { "sqrt", [7, 13] },
        { "sqrt", [2, 3, 4, 5] },
        { "sqrt", [2, 8, 64, 64] },
        { "leaky_relu", [7, 13] },
        { "leaky_relu", [2, 8, 64, 64] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(string op, int[] shape)
    {
        var x = Input(op, shape);
        var gy = RefTensor.Random(shape, 7);
        GradCheck.Verify(v => Ref(op, v[0]), [x], gy, [RefBackward(op, x, gy)], op);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(string op, int[] shape)
    {
        foreach (var format in new[] { MemoryFormat.Contiguous, MemoryFormat.ChannelsLast })
        {
            var x = Input(op, shape);
            var gy = RefTensor.Random(shape, 7);
            var (fy, grads) = Fast.ForwardBackward(t => Apply(op, t[0]), [x], gy, format);
            Check.Close(Ref(op, x), fy, what: $"{op} {format} y");
            Check.Close(RefBackward(op, x, gy), grads[0]!, what: $"{op} {format} grad");
        }
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("sigmoid")]
    [InlineData("sqrt")]
    [InlineData("leaky_relu")]
    public void OutputKeepsTheInputLayout(string op)
    {
        using var scope = Tensor.Scope();
        var x = F.Materialize(Tensor.Randn([2, 3, 4, 5], 1), MemoryFormat.ChannelsLast);
        Assert.Equal(MemoryFormat.ChannelsLast, Apply(op, x).Format);
    }

    [Fact]
    public void ReluGradientAtZeroIsZero()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([-1f, 0f, 2f], 3);
        x.RequiresGrad = true;
        F.Relu(x).Backward(Tensor.FromArray([5f, 6f, 7f], 3));
        Assert.Equal([0f, 0f, 7f], x.Grad!.ToArray());
    }

    /// <summary>Values in (-4, 4); for the square root in [0.5, 4.5), away from 0 where its slope is unbounded.</summary>
    private static RefTensor Input(string op, int[] shape)
    {
        var x = RefTensor.Random(shape, 1, 4);
        if (op == "sqrt")
            for (int i = 0; i < x.Length; i++) x.Data[i] = (float)(Math.Abs(x.Data[i]) + 0.5);
        return x;
    }

    // inplace_abn's default slope, the one CCNet's head uses.
    private const float Slope = 0.01f;

    private static Tensor Apply(string op, Tensor x) => op switch
    {
        "relu" => F.Relu(x), "sigmoid" => F.Sigmoid(x), "leaky_relu" => F.LeakyRelu(x, Slope), _ => F.Sqrt(x),
    };

    private static RefTensor Ref(string op, RefTensor x) => op switch
    {
        "relu" => RefActivations.Relu(x), "sigmoid" => RefActivations.Sigmoid(x), "leaky_relu" => RefActivations.LeakyRelu(x, Slope), _ => RefActivations.Sqrt(x),
    };

    private static RefTensor RefBackward(string op, RefTensor x, RefTensor gy) => op switch
    {
        "relu" => RefActivations.ReluBackward(x, gy),
        "sigmoid" => RefActivations.SigmoidBackward(x, gy),
        "leaky_relu" => RefActivations.LeakyReluBackward(x, gy, Slope),
        _ => RefActivations.SqrtBackward(x, gy),
    };
}
