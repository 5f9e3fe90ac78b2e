namespace ContextNets.Tests.Support;

/// <summary>
/// Replicas as threads of the test process: <see cref="Run{T}"/> starts one thread per replica, and each thread's
/// <see cref="IReplicaSum"/> adds up what every replica passed to the same call, in rank order, as an allreduce does.
/// </summary>
internal sealed class ThreadReplicas
{
    private readonly Barrier _barrier;
    private readonly double[][] _slots;

    private ThreadReplicas(int count)
    {
        _barrier = new Barrier(count);
        _slots = new double[count][];
    }

    private sealed class Member(ThreadReplicas all, int rank) : IReplicaSum
    {
        public void SumInPlace(Span<double> values)
        {
            all._slots[rank] = values.ToArray();
            all._barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++)
            {
                double sum = 0;
                foreach (var slot in all._slots) sum += slot[i];
                values[i] = sum;
            }
            // Nobody may overwrite its slot with the next call's values before every replica has read this call's.
            all._barrier.SignalAndWait();
        }
    }

    /// <summary>Runs <paramref name="body"/> for each rank on its own thread, each in its own tensor scope, and returns the results by rank.</summary>
    public static T[] Run<T>(int count, Func<int, IReplicaSum, T> body)
    {
        var all = new ThreadReplicas(count);
        var results = new T[count];
        var errors = new Exception?[count];
        var threads = Enumerable.Range(0, count).Select(rank => new Thread(() =>
        {
            try
            {
                using var scope = Tensor.Scope();
                results[rank] = body(rank, new Member(all, rank));
            }
            catch (Exception e)
            {
                errors[rank] = e;
                all._barrier.RemoveParticipant();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new AggregateException(error);
        return results;
    }
}
