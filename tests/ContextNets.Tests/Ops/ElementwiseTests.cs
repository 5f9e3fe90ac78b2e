using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class ElementwiseTests
{
    public static TheoryData<string, int[], int[]> Cases()
    {
        var data = new TheoryData<string, int[], int[]>();
        var shapes = new (int[] a, int[] b)[]
        {
            ([2, 3, 4, 5], [2, 3, 4, 5]),
            ([2, 3, 4, 5], [3, 1, 1]),
            ([2, 3, 4, 5], [1]),
            ([2, 3, 4, 5], [2, 1, 4, 1]),
            ([2, 3, 4, 5], [2, 3, 1, 1]),
            ([3, 1, 1], [2, 3, 4, 5]),
            ([2, 1, 4, 1], [3, 1, 5]),
            ([], [2, 3]),
            ([4, 1], [1, 5]),
        };
        foreach (var op in new[] { "add", "sub", "mul", "div" })
            foreach (var (a, b) in shapes) data.Add(op, a, b);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReferenceGradientMatchesFiniteDifferences(string op, int[] sa, int[] sb)
    {
        var (a, b) = Inputs(op, sa, sb);
        var y = Reference(op, a, b);
        var gy = RefTensor.Random(y.Shape, 3);
        var (ga, gb) = ReferenceBackward(op, a, b, gy);
        GradCheck.Verify(v => Reference(op, v[0], v[1]), [a, b], gy, [ga, gb], op);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FastPathMatchesReference(string op, int[] sa, int[] sb)
    {
        var (a, b) = Inputs(op, sa, sb);
        var y = Reference(op, a, b);
        var gy = RefTensor.Random(y.Shape, 3);
        var (ga, gb) = ReferenceBackward(op, a, b, gy);
        // Fast puts the first input channels-last; the last variant converts the second inside the graph.
        var variants = new (string name, MemoryFormat format, Func<Tensor[], Tensor> f)[]
        {
            ("contiguous", MemoryFormat.Contiguous, t => Fast(op, t[0], t[1])),
            ("a channels-last", MemoryFormat.ChannelsLast, t => Fast(op, t[0], t[1])),
            ("both channels-last", MemoryFormat.ChannelsLast, t => Fast(op, t[0], t[1].Rank == 4 ? F.ToFormat(t[1], MemoryFormat.ChannelsLast) : t[1])),
        };
        foreach (var (name, format, f) in variants)
        {
            var (fy, grads) = Support.Fast.ForwardBackward(f, [a, b], gy, format);
            Check.Close(y, fy, what: $"{op} {name} y");
            Check.Close(ga, grads[0]!, what: $"{op} {name} grad a");
            Check.Close(gb, grads[1]!, what: $"{op} {name} grad b");
        }
    }

    [Fact]
    public void ChannelsLastInputKeepsItsLayoutThroughAPerChannelOp()
    {
        using var scope = Tensor.Scope();
        var x = F.ToFormat(Tensor.Randn([2, 3, 4, 5], 1), MemoryFormat.ChannelsLast);
        var s = Tensor.Randn([2, 3, 1, 1], 2);
        var y = x * s;
        Assert.Equal(MemoryFormat.ChannelsLast, y.Format);
        Assert.Equal(x[1, 2, 3, 4] * s[1, 2, 0, 0], y[1, 2, 3, 4]);
    }

    [Fact]
    public void OperatorsForwardToF()
    {
        using var scope = Tensor.Scope();
        var a = Tensor.FromArray([6f, 8], 2);
        var b = Tensor.FromArray([2f, 4], 2);
        Assert.Equal([8f, 12], (a + b).ToArray());
        Assert.Equal([4f, 4], (a - b).ToArray());
        Assert.Equal([12f, 32], (a * b).ToArray());
        Assert.Equal([3f, 2], (a / b).ToArray());
    }

    [Fact]
    public void ShapesThatDoNotBroadcastAreRejectedWithBothNamed()
    {
        using var scope = Tensor.Scope();
        var ex = Assert.Throws<ArgumentException>(() => F.Add(Tensor.Zeros([2, 3, 4]), Tensor.Zeros([5])));
        Assert.Contains("[2, 3, 4]", ex.Message);
        Assert.Contains("[5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.Mul(Tensor.Zeros([2, 3, 4, 5]), Tensor.Zeros([2, 4, 1, 1])));
        Assert.Contains("[2, 3, 4, 5]", ex.Message);
        Assert.Contains("[2, 4, 1, 1]", ex.Message);
    }

    private static Tensor Fast(string op, Tensor a, Tensor b) => op switch
    {
        "add" => F.Add(a, b),
        "sub" => F.Sub(a, b),
        "mul" => F.Mul(a, b),
        _ => F.Div(a, b),
    };

    private static RefTensor Reference(string op, RefTensor a, RefTensor b) => RefElementwise.Binary(op switch
    {
        "add" => (x, y) => x + y,
        "sub" => (x, y) => x - y,
        "mul" => (x, y) => x * y,
        _ => (x, y) => x / y,
    }, a, b);

    private static (RefTensor ga, RefTensor gb) ReferenceBackward(string op, RefTensor a, RefTensor b, RefTensor gy) => op switch
    {
        "add" => RefElementwise.BinaryBackward((_, _) => 1, (_, _) => 1, a, b, gy),
        "sub" => RefElementwise.BinaryBackward((_, _) => 1, (_, _) => -1, a, b, gy),
        "mul" => RefElementwise.BinaryBackward((_, y) => y, (x, _) => x, a, b, gy),
        _ => RefElementwise.BinaryBackward((_, y) => 1 / y, (x, y) => -x / (y * y), a, b, gy),
    };

    private static (RefTensor a, RefTensor b) Inputs(string op, int[] sa, int[] sb)
    {
        var a = RefTensor.Random(sa, 1);
        var b = RefTensor.Random(sb, 2);
        // A divisor kept away from zero, so that float32 and the finite differences stay well conditioned.
        if (op == "div")
            for (int i = 0; i < b.Length; i++) b.Data[i] = (float)(Math.Sign(b.Data[i]) * 0.5 + b.Data[i]);
        return (a, b);
    }
}
