namespace ContextNets.Backend.Mpi;

/// <summary>
/// MPI_COMM_WORLD of this process: its rank, the number of ranks, and the collectives data-parallel training uses.
/// MPI is initialized with MPI_THREAD_FUNNELED: every call must come from the thread that created the communicator,
/// which is checked, because a call from another thread is undefined behaviour in MPI rather than an error.
/// Dispose finalizes MPI (once per process; MPI cannot be initialized again afterwards).
/// </summary>
internal sealed unsafe class Communicator : IDisposable
{
    private readonly MpiHandles _h;
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private bool _finalized;

    private Communicator(MpiHandles handles, int rank, int size)
    {
        _h = handles;
        Rank = rank;
        Size = size;
    }

    public int Rank { get; }
    public int Size { get; }
    public bool IsRoot => Rank == 0;

    /// <summary>Initializes MPI (under mpirun: this rank of the job; alone: a world of one) and returns the world.</summary>
    public static Communicator InitWorld()
    {
        var handles = MpiHandles.From(MpiLibrary.Require());
        int provided, rank, size, initialized;
        Check(MpiNative.MPI_Initialized(&initialized), "MPI_Initialized");
        if (initialized != 0) throw new InvalidOperationException("MPI is already initialized in this process: create the world once.");
        Check(MpiNative.MPI_Init_thread(null, null, MpiNative.ThreadFunneled, &provided), "MPI_Init_thread");
        if (provided < MpiNative.ThreadFunneled)
            throw new InvalidOperationException($"Open MPI gave thread level {provided}; training needs MPI_THREAD_FUNNELED ({MpiNative.ThreadFunneled}).");
        Check(MpiNative.MPI_Comm_rank(handles.CommWorld, &rank), "MPI_Comm_rank");
        Check(MpiNative.MPI_Comm_size(handles.CommWorld, &size), "MPI_Comm_size");
        return new Communicator(handles, rank, size);
    }

    public void Barrier()
    {
        OnOwnThread();
        Check(MpiNative.MPI_Barrier(_h.CommWorld), "MPI_Barrier");
    }

    /// <summary>Rank <paramref name="root"/>'s bytes into every rank's <paramref name="data"/> (the same length everywhere).</summary>
    public void Broadcast(Span<byte> data, int root = 0)
    {
        OnOwnThread();
        fixed (byte* p = data) Check(MpiNative.MPI_Bcast(p, data.Length, _h.Byte, root, _h.CommWorld), "MPI_Bcast");
    }

    /// <summary>Rank 0's floats into every rank's buffer of <paramref name="count"/> floats.</summary>
    public void Broadcast(float* data, long count)
    {
        OnOwnThread();
        foreach (var (offset, n) in Chunks(count)) Check(MpiNative.MPI_Bcast(data + offset, n, _h.Float, 0, _h.CommWorld), "MPI_Bcast");
    }

    /// <summary>Sums <paramref name="values"/> over all ranks, in place; every rank gets the same sums.</summary>
    public void SumInPlace(Span<double> values)
    {
        OnOwnThread();
        fixed (double* p = values) Check(MpiNative.MPI_Allreduce(MpiNative.InPlace, p, values.Length, _h.Double, _h.Sum, _h.CommWorld), "MPI_Allreduce");
    }

    /// <summary>The largest of every rank's <paramref name="values"/>, element-wise, in place.</summary>
    public void MaxInPlace(Span<long> values)
    {
        OnOwnThread();
        fixed (long* p = values) Check(MpiNative.MPI_Allreduce(MpiNative.InPlace, p, values.Length, _h.LongLong, _h.Max, _h.CommWorld), "MPI_Allreduce");
    }

    /// <summary>Starts summing <paramref name="count"/> floats over all ranks in place; the buffer must stay put until <see cref="Wait"/>.</summary>
    public nint StartSum(float* data, int count)
    {
        OnOwnThread();
        nint request;
        Check(MpiNative.MPI_Iallreduce(MpiNative.InPlace, data, count, _h.Float, _h.Sum, _h.CommWorld, &request), "MPI_Iallreduce");
        return request;
    }

    /// <summary>Lets MPI progress a started collective (non-blocking collectives move only inside MPI calls); true when it is done.</summary>
    public bool Test(ref nint request)
    {
        OnOwnThread();
        int done;
        fixed (nint* r = &request) Check(MpiNative.MPI_Test(r, &done, MpiNative.StatusIgnore), "MPI_Test");
        return done != 0;
    }

    public void Wait(ref nint request)
    {
        OnOwnThread();
        fixed (nint* r = &request) Check(MpiNative.MPI_Wait(r, MpiNative.StatusIgnore), "MPI_Wait");
    }

    /// <summary>Ends every rank of the job with <paramref name="exitCode"/>: the way out when one rank fails and the others would wait for it forever.</summary>
    public void Abort(int exitCode) => MpiNative.MPI_Abort(_h.CommWorld, exitCode);

    public void Dispose()
    {
        if (_finalized) return;
        OnOwnThread();
        _finalized = true;
        MpiNative.MPI_Finalize();
    }

    private void OnOwnThread()
    {
        ObjectDisposedException.ThrowIf(_finalized, this);
        if (Environment.CurrentManagedThreadId != _thread)
            throw new InvalidOperationException("MPI runs in MPI_THREAD_FUNNELED mode: call it from the thread that initialized it.");
    }

    /// <summary>MPI counts are ints: larger buffers go in pieces.</summary>
    private static IEnumerable<(long offset, int count)> Chunks(long count)
    {
        for (long offset = 0; offset < count; offset += int.MaxValue) yield return (offset, (int)Math.Min(int.MaxValue, count - offset));
    }

    private static void Check(int status, string call)
    {
        if (status != MpiNative.Success) throw new InvalidOperationException($"{call} failed with MPI error {status}.");
    }
}
