using System.Runtime.InteropServices;

namespace ContextNets.Backend.Mpi;

/// <summary>
/// Loads libmpi.so.40 with RTLD_GLOBAL before any call. Open MPI loads its transports and collectives as plugins
/// (mca_*.so) that are not linked against libmpi and find its symbols in the global scope; .NET's own loader opens
/// libraries locally, and the plugins would then fail to load.
/// </summary>
internal static partial class MpiLibrary
{
    public const string AptPackage = "openmpi-bin";
    private const int RtldNow = 0x2, RtldGlobal = 0x100;

    private static readonly Lazy<nint> Handle = new(() => Open(MpiNative.Library));

    /// <summary>The library's handle; a missing library is a <see cref="NativeDependencyException"/> that names the package.</summary>
    public static nint Require() => Handle.Value;

    /// <summary>Opens <paramref name="file"/> into the global scope, or says which package provides Open MPI.</summary>
    internal static nint Open(string file)
    {
        nint handle = dlopen(file, RtldNow | RtldGlobal);
        if (handle == 0)
            throw new NativeDependencyException(
                $"Distributed training needs Open MPI's {file}, which is missing: install Debian's {AptPackage} (apt-get install {AptPackage}) and start the ranks with mpirun.");
        return handle;
    }

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string file, int mode);
}
