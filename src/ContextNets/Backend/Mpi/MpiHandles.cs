using System.Runtime.InteropServices;

namespace ContextNets.Backend.Mpi;

/// <summary>
/// The predefined handles of Open MPI, resolved once from the loaded library. mpi.h defines MPI_COMM_WORLD as
/// <c>&amp;ompi_mpi_comm_world</c>, MPI_FLOAT as <c>&amp;ompi_mpi_float</c>, MPI_SUM as <c>&amp;ompi_mpi_op_sum</c> and so
/// on, so a handle is the address of the exported global of that name (a test compiles mpi.h to confirm it).
/// </summary>
internal sealed class MpiHandles
{
    public const string CommWorldSymbol = "ompi_mpi_comm_world", FloatSymbol = "ompi_mpi_float", DoubleSymbol = "ompi_mpi_double",
        ByteSymbol = "ompi_mpi_byte", LongLongSymbol = "ompi_mpi_long_long_int", SumSymbol = "ompi_mpi_op_sum", MaxSymbol = "ompi_mpi_op_max";

    private MpiHandles(nint library)
    {
        CommWorld = NativeLibrary.GetExport(library, CommWorldSymbol);
        Float = NativeLibrary.GetExport(library, FloatSymbol);
        Double = NativeLibrary.GetExport(library, DoubleSymbol);
        Byte = NativeLibrary.GetExport(library, ByteSymbol);
        LongLong = NativeLibrary.GetExport(library, LongLongSymbol);
        Sum = NativeLibrary.GetExport(library, SumSymbol);
        Max = NativeLibrary.GetExport(library, MaxSymbol);
    }

    public nint CommWorld { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Byte { get; }
    public nint LongLong { get; }
    public nint Sum { get; }
    public nint Max { get; }

    public static MpiHandles From(nint library) => new(library);
}
