using ContextNets.Attention;
using ContextNets.Backend.Managed;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

/// <summary>
/// The split-attention gate MLP (fc1, batch norm, ReLU, fc2, softmax over the splits) as one float64 op:
/// its backward against finite differences, the op against the same MLP composed from the reference ops,
/// and against the MLP composed from float32 engine ops.
/// </summary>
public class RadixGateTests
{
    // n, c, inner a, radix, groups, training, biases
    public static TheoryData<int, int, int, int, int, bool, bool> Cases => new()
    {
        { 2, 6, 4, 2, 1, true, true },
        { 3, 8, 6, 3, 2, true, false },
        { 4, 6, 4, 1, 2, true, true },
        { 2, 4, 6, 4, 1, false, true },
        { 1, 6, 4, 1, 1, false, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesFiniteDifferences(int n, int c, int a, int radix, int groups, bool training, bool biases)
    {
        var g = new RadixGateKernels.Geometry(n, c, a, radix, groups);
        var p = Inputs(n, c, a, radix, groups);
        var gy = RefTensor.Random([n, radix, c], 9);
        RadixGateKernels.Weights WeightsOf(RefTensor[] v) =>
            new(v[1].Data, biases ? v[2].Data : null, v[3].Data, v[4].Data, v[5].Data, biases ? v[6].Data : null);
        RefTensor Gate(RefTensor[] v) =>
            new([n, radix, c], RadixGateKernels.Forward(g, v[0].Data, WeightsOf(v), training, p.RunningMean.Data, p.RunningVar.Data, 1e-5, out _));

        var inputs = p.Differentiable;
        RadixGateKernels.Forward(g, inputs[0].Data, WeightsOf(inputs), training, p.RunningMean.Data, p.RunningVar.Data, 1e-5, out var saved);
        var d = RadixGateKernels.Backward(g, saved, WeightsOf(inputs), training, gy.Data);
        RefTensor?[] analytic =
        [
            new(inputs[0].Shape, d.Gap), new(inputs[1].Shape, d.W1), biases ? new(inputs[2].Shape, d.B1) : null,
            new(inputs[3].Shape, d.Gamma), new(inputs[4].Shape, d.Beta), new(inputs[5].Shape, d.W2), biases ? new(inputs[6].Shape, d.B2) : null,
        ];
        GradCheck.Verify(Gate, inputs, gy, analytic, $"radix gate r{radix} g{groups} {(training ? "train" : "eval")}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OpMatchesTheReferenceOpsComposed(int n, int c, int a, int radix, int groups, bool training, bool biases)
    {
        var p = Inputs(n, c, a, radix, groups);
        var gy = RefTensor.Random([n, radix, c], 9);
        var expected = RefGateChain.Run(p.Differentiable, p.RunningMean, p.RunningVar, radix, groups, training, biases, gy);

        using var scope = Tensor.Scope();
        var t = Array.ConvertAll(p.Differentiable, r =>
        {
            var x = r.ToTensor();
            x.RequiresGrad = true;
            return x;
        });
        var runningMean = p.RunningMean.ToTensor();
        var runningVar = p.RunningVar.ToTensor();
        var parameters = new RadixGateParameters(t[1], biases ? t[2] : null, t[3], t[4], runningMean, runningVar, t[5], biases ? t[6] : null);
        var y = F.RadixGate(t[0], parameters, radix, groups, training);
        y.Backward(gy.ToTensor());

        string what = $"radix gate r{radix} g{groups} {(training ? "train" : "eval")}";
        Check.Close(expected.Y, y, what: what + " y");
        string[] names = ["gap", "fc1 weight", "fc1 bias", "norm weight", "norm bias", "fc2 weight", "fc2 bias"];
        for (int i = 0; i < t.Length; i++)
        {
            if (!biases && i is 2 or 6) { Assert.Null(t[i].Grad); continue; }
            Check.Close(expected.Grads[i]!, t[i].Grad!, what: $"{what} grad {names[i]}");
        }
        Check.Close(expected.RunningMean, runningMean, what: what + " running mean");
        Check.Close(expected.RunningVar, runningVar, what: what + " running var");
    }

    /// <summary>Against float32 engine ops (grouped 1x1 convs, batch norm, ReLU, softmax over a permuted view), on a well-spread batch.</summary>
    [Theory]
    [InlineData(8, 16, 8, 2, 1)]
    [InlineData(8, 12, 8, 3, 2)]
    [InlineData(6, 8, 8, 1, 2)]
    public void OpMatchesComposedEngineOps(int n, int c, int a, int radix, int groups)
    {
        var p = Inputs(n, c, a, radix, groups);
        var gy = RefTensor.Random([n, radix, c], 9);

        (RefTensor y, RefTensor[] grads, RefTensor mean, RefTensor var) Run(bool composed)
        {
            using var scope = Tensor.Scope();
            var t = Array.ConvertAll(p.Differentiable, r =>
            {
                var x = r.ToTensor();
                x.RequiresGrad = true;
                return x;
            });
            var rm = p.RunningMean.ToTensor();
            var rv = p.RunningVar.ToTensor();
            Tensor y;
            if (composed)
            {
                var hidden = F.Relu(F.BatchNorm2d(F.Conv2d(t[0], t[1], t[2], groups: groups), t[3], t[4], rm, rv, training: true));
                var logits = F.Conv2d(hidden, t[5], t[6], groups: groups);
                y = radix == 1
                    ? F.Reshape(F.Sigmoid(logits), n, 1, c)
                    : F.Reshape(F.Permute(F.Softmax(F.Reshape(logits, n, groups, radix, c / groups), 2), 0, 2, 1, 3), n, radix, c);
            }
            else
            {
                y = F.RadixGate(t[0], new RadixGateParameters(t[1], t[2], t[3], t[4], rm, rv, t[5], t[6]), radix, groups, training: true);
            }
            y.Backward(gy.ToTensor());
            return (RefTensor.From(y), t.Select(x => RefTensor.From(x.Grad!)).ToArray(), RefTensor.From(rm), RefTensor.From(rv));
        }

        var expected = Run(composed: true);
        var actual = Run(composed: false);
        Check.Close(expected.y, actual.y, what: "gate");
        for (int i = 0; i < expected.grads.Length; i++) Check.Close(expected.grads[i], actual.grads[i], what: $"gate grad input {i}");
        Check.Close(expected.mean, actual.mean, what: "running mean");
        Check.Close(expected.var, actual.var, what: "running var");
    }

    [Fact]
    public void BadInputIsRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var p = Inputs(2, 8, 4, 2, 2);
        var t = Array.ConvertAll(p.Differentiable, r => r.ToTensor());
        var good = new RadixGateParameters(t[1], t[2], t[3], t[4], p.RunningMean.ToTensor(), p.RunningVar.ToTensor(), t[5], t[6]);
        Assert.Equal([2, 2, 8], F.RadixGate(t[0], good, 2, 2, training: true).Shape.Dims.ToArray());

        var ex = Assert.Throws<ArgumentException>(() => F.RadixGate(Tensor.Zeros([2, 6, 1, 1]), good, 2, 2, training: true));
        Assert.Contains("[2, 6, 1, 1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.RadixGate(Tensor.Zeros([2, 8, 2, 2]), good, 2, 2, training: true));
        Assert.Contains("[N, C, 1, 1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.RadixGate(t[0], good, 3, 2, training: true));
        Assert.Contains("fc2 weight [16, 2, 1, 1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.RadixGate(t[0], good with { NormBias = Tensor.Zeros([5]) }, 2, 2, training: true));
        Assert.Contains("norm bias [5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.RadixGate(t[0], good, 2, 3, training: true));
        Assert.Contains("groups = 3", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.RadixGate(Tensor.Zeros([1, 8, 1, 1]), good, 2, 2, training: true));
        Assert.Contains("more than one sample", ex.Message);
        Assert.Throws<ArgumentException>(() => F.RadixGate(t[0], good, 0, 2, training: true));
    }

    internal sealed record GateInputs(RefTensor[] Differentiable, RefTensor RunningMean, RefTensor RunningVar);

    /// <summary>gap [n, c, 1, 1], fc1 weight and bias, norm weight and bias, fc2 weight and bias; and running statistics.</summary>
    internal static GateInputs Inputs(int n, int c, int a, int radix, int groups)
    {
        var runningVar = RefTensor.Random([a], 16, 0.5);
        for (int i = 0; i < a; i++) runningVar.Data[i] += 1;
        return new GateInputs(
        [
            RefTensor.Random([n, c, 1, 1], 10), RefTensor.Random([a, c / groups, 1, 1], 11), RefTensor.Random([a], 12, 0.3),
            RefTensor.Random([a], 13), RefTensor.Random([a], 14, 0.5), RefTensor.Random([radix * c, a / groups, 1, 1], 15), RefTensor.Random([radix * c], 17, 0.3),
        ], RefTensor.Random([a], 18, 0.2), runningVar);
    }
}
