using System.Runtime.InteropServices;

namespace ContextNets.Backend.Mpi;

/// <summary>
/// Open MPI 4.1's C API (Debian's libmpi.so.40), only the calls data-parallel training needs. Handles
/// (MPI_Comm, MPI_Datatype, MPI_Op, MPI_Request) are pointers in Open MPI: the predefined ones are the
/// addresses of exported globals (<see cref="MpiHandles"/>). Every call returns MPI_SUCCESS or, under the
/// default MPI_ERRORS_ARE_FATAL handler, does not return at all: the library aborts the job itself.
/// </summary>
internal static unsafe partial class MpiNative
{
    public const string Library = "libmpi.so.40";

    /// <summary>mpi.h: MPI_SUCCESS, MPI_THREAD_FUNNELED, MPI_IN_PLACE ((void *) 1), MPI_STATUS_IGNORE (NULL).</summary>
    public const int Success = 0, ThreadFunneled = 1;
    public static readonly void* InPlace = (void*)1;
    public static readonly void* StatusIgnore = null;

    [LibraryImport(Library)] public static partial int MPI_Init_thread(int* argc, byte*** argv, int required, int* provided);
    [LibraryImport(Library)] public static partial int MPI_Initialized(int* flag);
    [LibraryImport(Library)] public static partial int MPI_Finalized(int* flag);
    [LibraryImport(Library)] public static partial int MPI_Finalize();
    [LibraryImport(Library)] public static partial int MPI_Abort(nint comm, int errorCode);
    [LibraryImport(Library)] public static partial int MPI_Comm_rank(nint comm, int* rank);
    [LibraryImport(Library)] public static partial int MPI_Comm_size(nint comm, int* size);
    [LibraryImport(Library)] public static partial int MPI_Barrier(nint comm);
    [LibraryImport(Library)] public static partial int MPI_Bcast(void* buffer, int count, nint datatype, int root, nint comm);
    [LibraryImport(Library)] public static partial int MPI_Allreduce(void* sendBuffer, void* receiveBuffer, int count, nint datatype, nint op, nint comm);
    [LibraryImport(Library)] public static partial int MPI_Iallreduce(void* sendBuffer, void* receiveBuffer, int count, nint datatype, nint op, nint comm, nint* request);
    [LibraryImport(Library)] public static partial int MPI_Test(nint* request, int* flag, void* status);
    [LibraryImport(Library)] public static partial int MPI_Wait(nint* request, void* status);
}
