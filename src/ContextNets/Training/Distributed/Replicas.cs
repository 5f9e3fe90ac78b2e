using System.Text;
using ContextNets.Backend.Mpi;

namespace ContextNets.Training.Distributed;

/// <summary>
/// The processes of one data-parallel job (MPI_COMM_WORLD under mpirun; alone, a world of one): which one this is,
/// how many there are, and the few exchanges the training loop needs besides the gradients. Rank 0 is the one that
/// writes. Create it once per process, on the thread that will train, and dispose it at the end (MPI_Finalize).
/// </summary>
public sealed class Replicas : IReplicaSum, IDisposable
{
    private readonly Communicator _comm;

    private Replicas(Communicator comm) => _comm = comm;

    /// <summary>Initializes MPI; a missing Open MPI is a <see cref="NativeDependencyException"/> naming the package.</summary>
    public static Replicas Start() => new(Communicator.InitWorld());

    public int Rank => _comm.Rank;
    public int Count => _comm.Size;
    public bool IsRoot => _comm.IsRoot;

    internal Communicator Communicator => _comm;

    public void SumInPlace(Span<double> values) => _comm.SumInPlace(values);

    /// <summary>Rank <paramref name="root"/>'s text on every rank (the others pass anything, null included).</summary>
    public string Broadcast(string? text, int root = 0)
    {
        bool sends = Rank == root;
        Span<long> length = [sends ? Encoding.UTF8.GetByteCount(text ?? "") : 0];
        _comm.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(length), root);
        var bytes = sends ? Encoding.UTF8.GetBytes(text ?? "") : new byte[length[0]];
        _comm.Broadcast(bytes, root);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>
    /// Checks that every rank holds the same <paramref name="document"/> (the run's configuration); throws a
    /// <see cref="ReplicaMismatchException"/> on every rank otherwise, so that all of them stop instead of some waiting
    /// forever in a collective that the others never reach.
    /// </summary>
    public void Agree(string document, string what)
    {
        string root = Broadcast(document);
        bool same = root == document;
        // One reduction tells every rank whether any differs, and the lowest rank that does (as the largest -rank).
        Span<long> flags = [same ? 0 : 1, same ? long.MinValue : -Rank];
        _comm.MaxInPlace(flags);
        if (flags[0] == 0) return;
        // Every rank learns what the first differing rank holds, so that each says the same whichever prints first.
        int first = (int)-flags[1];
        string theirs = Broadcast(document, root: first);
        throw new ReplicaMismatchException(
            $"The ranks were started with different {what}s: {ConfigDifference.Describe(root, theirs, first)}. Start every rank with the same options and data.");
    }

    /// <summary>Every rank waits here until all have arrived.</summary>
    public void Barrier() => _comm.Barrier();

    /// <summary>Ends the whole job with <paramref name="exitCode"/> (mpirun then stops every rank): for a failure on one rank.</summary>
    public void Abort(int exitCode) => _comm.Abort(exitCode);

    public void Dispose() => _comm.Dispose();
}
