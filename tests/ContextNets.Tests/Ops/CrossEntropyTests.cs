using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

public class CrossEntropyTests
{
    public static TheoryData<int, int, float> HardCases => new()
    {
        { 4, 5, 0f },
        { 4, 5, 0.1f },
        { 1, 3, 0.3f },
        { 37, 10, 0.1f },
    };

    [Theory]
    [MemberData(nameof(HardCases))]
    public void ReferenceGradientMatchesFiniteDifferences(int n, int k, float eps)
    {
        var (logits, labels, gy) = Inputs(n, k);
        var t = RefLosses.Targets(labels, k, eps);
        var (gl, _) = RefLosses.CrossEntropyBackward(logits, t, gy);
        GradCheck.Verify(v => RefLosses.CrossEntropy(v[0], t), [logits], gy, [gl], $"cross_entropy eps {eps}");
    }

    [Fact]
    public void ReferenceGradientOfSoftTargetsMatchesFiniteDifferences()
    {
        var (logits, _, gy) = Inputs(3, 4);
        var t = SoftTargets(3, 4);
        var (gl, gt) = RefLosses.CrossEntropyBackward(logits, t, gy);
        GradCheck.Verify(v => RefLosses.CrossEntropy(v[0], v[1]), [logits, t], gy, [gl, gt], "cross_entropy soft");
    }

    [Theory]
    [MemberData(nameof(HardCases))]
    public void FastPathMatchesReference(int n, int k, float eps)
    {
        var (logits, labels, gy) = Inputs(n, k);
        var t = RefLosses.Targets(labels, k, eps);
        var (gl, _) = RefLosses.CrossEntropyBackward(logits, t, gy);
        var (fy, grads) = Fast.ForwardBackward(v => F.CrossEntropy(v[0], labels, eps), [logits], gy);
        Check.Close(RefLosses.CrossEntropy(logits, t), fy, what: $"cross_entropy eps {eps} loss");
        Check.Close(gl, grads[0]!, what: $"cross_entropy eps {eps} grad");
    }

    [Fact]
    public void SoftTargetsFastPathMatchesReference()
    {
        var (logits, _, gy) = Inputs(6, 5);
        var t = SoftTargets(6, 5);
        var (gl, gt) = RefLosses.CrossEntropyBackward(logits, t, gy);
        var (fy, grads) = Fast.ForwardBackward(v => F.CrossEntropy(v[0], v[1]), [logits, t], gy);
        Check.Close(RefLosses.CrossEntropy(logits, t), fy, what: "soft cross_entropy loss");
        Check.Close(gl, grads[0]!, what: "soft cross_entropy grad logits");
        Check.Close(gt, grads[1]!, what: "soft cross_entropy grad targets");
    }

    [Fact]
    public void UniformLogitsGiveLogKAsAScalar()
    {
        using var scope = Tensor.Scope();
        var loss = F.CrossEntropy(Tensor.Zeros([3, 7]), [0, 3, 6]);
        Assert.Equal(0, loss.Rank);
        Assert.Equal(Math.Log(7), loss.Item(), 6);
    }

    [Fact]
    public void LargeLogitsStayFinite()
    {
        var logits = new RefTensor([2, 3], [1000, 0, -1000, -500, 500, 0]);
        var t = RefLosses.Targets([1, 1], 3, 0.1);
        var gy = new RefTensor([], [1]);
        var (fy, grads) = Fast.ForwardBackward(v => F.CrossEntropy(v[0], [1, 1], 0.1f), [logits], gy);
        Check.Close(RefLosses.CrossEntropy(logits, t), fy, what: "loss of large logits");
        Check.Close(RefLosses.CrossEntropyBackward(logits, t, gy).gLogits, grads[0]!, what: "grad of large logits");
    }

    [Fact]
    public void BadInputIsRejectedWithTheShapesNamed()
    {
        using var scope = Tensor.Scope();
        var logits = Tensor.Zeros([3, 4]);
        var ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, 4, 1]));
        Assert.Contains("label 4", ex.Message);
        Assert.Contains("index 1", ex.Message);
        Assert.Contains("K = 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, 1, -1]));
        Assert.Contains("label -1", ex.Message);
        Assert.Contains("index 2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, 1]));
        Assert.Contains("[3, 4]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Tensor.Zeros([3, 4, 1]), [0, 1, 2]));
        Assert.Contains("[3, 4, 1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.Zeros([3, 5])));
        Assert.Contains("[3, 5]", ex.Message);
        Assert.Contains("[3, 4]", ex.Message);
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, 1, 2], 1.5f));
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, [0, 1, 2], float.NaN));
    }

    private static (RefTensor logits, int[] labels, RefTensor gy) Inputs(int n, int k)
    {
        var rng = new Random(5);
        return (RefTensor.Random([n, k], 1, 3), Enumerable.Range(0, n).Select(_ => rng.Next(k)).ToArray(), new RefTensor([], [1.7]));
    }

    private static RefTensor SoftTargets(int n, int k)
    {
        var t = RefTensor.Random([n, k], 9);
        for (int i = 0; i < t.Length; i++) t.Data[i] = Math.Abs(t.Data[i]);
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < k; j++) s += t[i, j];
            for (int j = 0; j < k; j++) t[i, j] = (float)(t[i, j] / s);
        }
        return t;
    }
}
