using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ContextNets.Backend.Managed;
using ContextNets.Backend.Mpi;

namespace ContextNets.Training.Distributed;

/// <summary>
/// Averages the gradients of every replica in buckets, as PyTorch DDP and Horovod do: the parameters, in reverse order
/// (backward reaches the last layers first), are grouped into buckets of about <c>capBytes</c>; when backward has
/// finished every gradient of a bucket (<see cref="Tensor.GradReady"/>), the bucket is copied into one buffer and its
/// sum over the replicas starts (MPI_Iallreduce) while backward goes on with the earlier layers. Buckets start strictly
/// in order, because every rank must issue its collectives in the same order. <see cref="Finish"/> waits for the sums
/// and writes the averages back into the gradients.
/// </summary>
internal sealed unsafe class GradientBuckets : IDisposable
{
    private sealed class Bucket(Tensor[] parameters, long[] offsets, long length)
    {
        public readonly Tensor[] Parameters = parameters;
        public readonly long[] Offsets = offsets;
        public readonly long Length = length;
        public readonly bool[] Arrived = new bool[parameters.Length];
        public float* Data;
        public int Pending = parameters.Length;
        public nint Request;
        public bool Started, Done;
    }

    private readonly Communicator _comm;
    private readonly Bucket[] _buckets;
    private readonly Dictionary<Tensor, (Bucket bucket, int index)> _where = new(ReferenceEqualityComparer.Instance);
    private int _next;
    private bool _disposed;

    public GradientBuckets(Communicator comm, IReadOnlyList<Tensor> parameters, long capBytes)
    {
        if (capBytes < sizeof(float)) throw new ArgumentException($"A gradient bucket must hold at least one float, not {capBytes} bytes.");
        _comm = comm;
        var buckets = new List<Bucket>();
        var members = new List<Tensor>();
        long bytes = 0;
        for (int i = parameters.Count - 1; i >= 0; i--)
        {
            members.Add(parameters[i]);
            bytes += (long)parameters[i].Numel * sizeof(float);
            if (bytes >= capBytes || i == 0)
            {
                buckets.Add(NewBucket(members));
                members.Clear();
                bytes = 0;
            }
        }
        _buckets = [.. buckets];
        for (int b = 0; b < _buckets.Length; b++)
            for (int k = 0; k < _buckets[b].Parameters.Length; k++)
            {
                var p = _buckets[b].Parameters[k];
                _where.Add(p, (_buckets[b], k));
                p.GradReady = OnGradReady;
            }
    }

    private static Bucket NewBucket(List<Tensor> members)
    {
        var offsets = new long[members.Count];
        long length = 0;
        for (int k = 0; k < members.Count; k++)
        {
            offsets[k] = length;
            length += members[k].Numel;
        }
        if (length > int.MaxValue) throw new ArgumentException($"A gradient bucket of {length} floats is past MPI's int count: lower the bucket size.");
        var bucket = new Bucket([.. members], offsets, length);
        bucket.Data = (float*)NativeMemory.AlignedAlloc((nuint)(length * sizeof(float)), 64);
        return bucket;
    }

    private void OnGradReady(Tensor parameter)
    {
        var (bucket, k) = _where[parameter];
        if (bucket.Arrived[k]) throw new InvalidOperationException("A parameter's gradient arrived twice in one step: call Finish after every backward.");
        CopyIn(bucket, k);
        StartReadyBuckets();
        Progress();
    }

    private static void CopyIn(Bucket bucket, int k)
    {
        var p = bucket.Parameters[k];
        var grad = p.Grad!;
        // Logical order, so that a gradient in another memory order on another rank still lines up element by element.
        StridedCopy.Copy(grad.Data, grad.Strides, bucket.Data + bucket.Offsets[k], p.Shape.ContiguousStrides(), p.Shape);
        bucket.Arrived[k] = true;
        bucket.Pending--;
    }

    private void StartReadyBuckets()
    {
        while (_next < _buckets.Length && _buckets[_next].Pending == 0)
        {
            var b = _buckets[_next++];
            b.Request = _comm.StartSum(b.Data, (int)b.Length);
            b.Started = true;
        }
    }

    /// <summary>Non-blocking collectives advance only inside MPI calls: each gradient that arrives gives them a turn.</summary>
    private void Progress()
    {
        foreach (var b in _buckets)
            if (b.Started && !b.Done) b.Done = _comm.Test(ref b.Request);
    }

    /// <summary>
    /// After backward: starts the buckets still waiting (a parameter that got no gradient on this rank counts as zeros,
    /// and gets the average), waits for all of them, and puts the averages into the gradients.
    /// </summary>
    public void Finish()
    {
        foreach (var b in _buckets)
            for (int k = 0; k < b.Parameters.Length; k++)
                if (!b.Arrived[k])
                {
                    var p = b.Parameters[k];
                    if (p.Grad is null)
                    {
                        p.Grad = Tensor.EmptyUnscoped(p.Shape);
                        p.Grad.Span.Clear();
                    }
                    CopyIn(b, k);
                }
        StartReadyBuckets();
        float inverse = 1f / _comm.Size;
        foreach (var b in _buckets)
        {
            if (!b.Done) _comm.Wait(ref b.Request);
            var sums = new Span<float>(b.Data, (int)b.Length);
            TensorPrimitives.Multiply(sums, inverse, sums);
            for (int k = 0; k < b.Parameters.Length; k++)
            {
                var p = b.Parameters[k];
                StridedCopy.Copy(b.Data + b.Offsets[k], p.Shape.ContiguousStrides(), p.Grad!.Data, p.Grad.Strides, p.Shape);
                p.Grad.Touch();
                b.Arrived[k] = false;
            }
            b.Pending = b.Parameters.Length;
            b.Started = b.Done = false;
        }
        _next = 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in _buckets)
        {
            foreach (var p in b.Parameters) p.GradReady = null;
            NativeMemory.AlignedFree(b.Data);
            b.Data = null;
        }
    }
}
