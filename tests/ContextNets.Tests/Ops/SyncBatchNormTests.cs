using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Ops;

/// <summary>
/// SyncBatchNorm over replicas (threads here, ranks under MPI) must be one BatchNorm over the whole batch: the float64
/// reference on the concatenated batch gives the expected output, input gradient and running statistics, and the sum
/// of the replicas' weight and bias gradients; finite differences check the backward's cross-replica terms directly.
/// </summary>
public class SyncBatchNormTests
{
    private const float Eps = 1e-5f;
    private static readonly int[] Shard = [3, 4, 3, 2];

    private sealed record RankResult(RefTensor Y, RefTensor Gx, RefTensor Gw, RefTensor Gb, RefTensor Mean, RefTensor Var);

    private static RankResult[] RunSync(RefTensor[] xs, RefTensor w, RefTensor b, RefTensor rm, RefTensor rv, RefTensor[] gys) =>
        ThreadReplicas.Run(xs.Length, (rank, replicas) =>
        {
            var x = F.Materialize(xs[rank].ToTensor(), MemoryFormat.ChannelsLast);
            var (wt, bt, rmT, rvT) = (w.ToTensor(), b.ToTensor(), rm.ToTensor(), rv.ToTensor());
            foreach (var t in new[] { x, wt, bt }) t.RequiresGrad = true;
            var y = F.SyncBatchNorm2d(x, wt, bt, rmT, rvT, training: true, replicas, eps: Eps);
            y.Backward(gys[rank].ToTensor());
            return new RankResult(RefTensor.From(y), RefTensor.From(x.Grad!), RefTensor.From(wt.Grad!), RefTensor.From(bt.Grad!), RefTensor.From(rmT), RefTensor.From(rvT));
        });

    private static RefTensor Concat(RefTensor[] parts) =>
        new([parts.Sum(p => p.Shape[0]), .. parts[0].Shape[1..]], [.. parts.SelectMany(p => p.Data)]);

    private static RefTensor Sum(IEnumerable<RefTensor> parts)
    {
        var list = parts.ToList();
        return new RefTensor(list[0].Shape, [.. Enumerable.Range(0, list[0].Length).Select(i => list.Sum(p => p.Data[i]))]);
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.0)]
    [InlineData(3, 20.0)]
    public void ReplicasTogetherAreOneBatchNormOverTheWholeBatch(int replicas, double offset)
    {
        int c = Shard[1];
        var xs = Enumerable.Range(0, replicas).Select(r => RefTensor.Random(Shard, 10 + r, 2.0)).ToArray();
        foreach (var x in xs) for (int i = 0; i < x.Length; i++) x.Data[i] += offset;
        var gys = Enumerable.Range(0, replicas).Select(r => RefTensor.Random(Shard, 20 + r)).ToArray();
        var (w, b, rm) = (RefTensor.Random([c], 2), RefTensor.Random([c], 3), RefTensor.Random([c], 4));
        var rv = new RefTensor([c], [0.5, 1.0, 1.5, 2.0]);

        var results = RunSync(xs, w, b, rm, rv, gys);

        var whole = Concat(xs);
        var (gx, gw, gb) = RefBatchNorm.Backward(whole, w, rm, rv, training: true, Eps, Concat(gys));
        var (mean, variance) = RefBatchNorm.UpdateRunning(whole, rm, rv, 0.1);
        string what = $"sync batch norm over {replicas} replicas, offset {offset}";
        Check.Close(RefBatchNorm.Forward(whole, w, b, rm, rv, training: true, Eps), Concat([.. results.Select(r => r.Y)]), what: what + " y");
        Check.Close(gx, Concat([.. results.Select(r => r.Gx)]), what: what + " grad x");
        Check.Close(gw, Sum(results.Select(r => r.Gw)), what: what + " summed grad w");
        Check.Close(gb, Sum(results.Select(r => r.Gb)), what: what + " summed grad b");
        foreach (var r in results)
        {
            Check.Close(mean, r.Mean, what: what + " running mean");
            Check.Close(variance, r.Var, what: what + " running var");
        }
    }

    /// <summary>L = sum over replicas of sum(y_r * gy_r): central differences of every input element of both replicas and of the parameters.</summary>
    [Fact]
    public void BackwardMatchesFiniteDifferencesAcrossReplicas()
    {
        int c = Shard[1];
        var xs = new[] { RefTensor.Random(Shard, 30, 1.5), RefTensor.Random(Shard, 31, 1.5) };
        var gys = new[] { RefTensor.Random(Shard, 40), RefTensor.Random(Shard, 41) };
        var (w, b, rm, rv) = (RefTensor.Random([c], 5), RefTensor.Random([c], 6), new RefTensor([c]), new RefTensor([c], [1.0, 1.0, 1.0, 1.0]));
        var analytic = RunSync(xs, w, b, rm, rv, gys);

        double Loss() => RunSync(xs, w, b, rm, rv, gys).Select((r, k) => r.Y.Dot(gys[k])).Sum();
        const double h = 1e-2;
        double Numeric(RefTensor t, int i)
        {
            double keep = t.Data[i];
            t.Data[i] = keep + h;
            double up = Loss();
            t.Data[i] = keep - h;
            double down = Loss();
            t.Data[i] = keep;
            return (up - down) / (2 * h);
        }
        void Expect(double expected, double numeric, string what) =>
            Assert.True(Math.Abs(expected - numeric) <= 2e-3 * (1 + Math.Abs(numeric)), $"{what}: analytic {expected:G6}, finite difference {numeric:G6}");

        for (int r = 0; r < 2; r++)
            for (int i = 0; i < xs[r].Length; i += 5)
                Expect(analytic[r].Gx.Data[i], Numeric(xs[r], i), $"d/d x{r}[{i}]");
        for (int k = 0; k < c; k++)
        {
            Expect(analytic[0].Gw.Data[k] + analytic[1].Gw.Data[k], Numeric(w, k), $"d/d weight[{k}]");
            Expect(analytic[0].Gb.Data[k] + analytic[1].Gb.Data[k], Numeric(b, k), $"d/d bias[{k}]");
        }
    }

    [Fact]
    public void EvaluationUsesTheRunningStatisticsWithoutExchangingAnything()
    {
        using var scope = Tensor.Scope();
        var x = RefTensor.Random(Shard, 7).ToTensor();
        var (w, b, rm, rv) = (RefTensor.Random([4], 1).ToTensor(), RefTensor.Random([4], 2).ToTensor(), RefTensor.Random([4], 3).ToTensor(), Tensor.Full(new Shape(4), 2f));
        var expected = F.BatchNorm2d(x, w, b, rm, rv, training: false).ToArray();
        Assert.Equal(expected, F.SyncBatchNorm2d(x, w, b, rm, rv, training: false, new NoExchange()).ToArray());
    }

    private sealed class NoExchange : IReplicaSum
    {
        public void SumInPlace(Span<double> values) => throw new InvalidOperationException("evaluation must not exchange statistics");
    }
}
