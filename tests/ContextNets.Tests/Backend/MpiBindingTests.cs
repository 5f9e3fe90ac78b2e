using ContextNets.Backend.Mpi;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Backend;

/// <summary>
/// The Open MPI binding against the installed mpi.h, compiled with gcc: the sizes of the handle types the binding
/// marshals as pointers, the constants it hard-codes, and that each predefined handle is the address of the exported
/// global the binding resolves by name.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public class MpiBindingTests
{
    private const string Include = "/usr/lib/x86_64-linux-gnu/openmpi/include";

    [Fact]
    public unsafe void HandlesAndConstantsMatchTheInstalledHeader()
    {
        Assert.True(File.Exists(Path.Combine(Include, "mpi.h")), $"{Include}/mpi.h is missing: install libopenmpi-dev (./.ci/run does).");
        var lines = HeaderProbe.Run($$"""
            #include <stdio.h>
            #include <mpi.h>
            int main(void) {
              printf("%zu %zu %zu %zu %zu\n", sizeof(MPI_Comm), sizeof(MPI_Datatype), sizeof(MPI_Op), sizeof(MPI_Request),
                sizeof(long long));
              printf("%d %d %ld %ld\n", MPI_SUCCESS, MPI_THREAD_FUNNELED, (long)MPI_IN_PLACE, (long)MPI_STATUS_IGNORE);
              printf("%d %d %d %d %d %d %d\n",
                MPI_COMM_WORLD == (MPI_Comm)&{{MpiHandles.CommWorldSymbol}}, MPI_FLOAT == (MPI_Datatype)&{{MpiHandles.FloatSymbol}},
                MPI_DOUBLE == (MPI_Datatype)&{{MpiHandles.DoubleSymbol}}, MPI_BYTE == (MPI_Datatype)&{{MpiHandles.ByteSymbol}},
                MPI_LONG_LONG_INT == (MPI_Datatype)&{{MpiHandles.LongLongSymbol}}, MPI_SUM == (MPI_Op)&{{MpiHandles.SumSymbol}},
                MPI_MAX == (MPI_Op)&{{MpiHandles.MaxSymbol}});
              return 0;
            }
            """, $"-I{Include} -lmpi");
        Assert.Equal(new long[] { sizeof(nint), sizeof(nint), sizeof(nint), sizeof(nint), sizeof(long) }, lines[0]);
        Assert.Equal(new long[] { MpiNative.Success, MpiNative.ThreadFunneled, (long)MpiNative.InPlace, (long)MpiNative.StatusIgnore }, lines[1]);
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1 }, lines[2]);
    }

    [Fact]
    public void AMissingLibraryIsOneMessageThatNamesThePackage()
    {
        var e = Assert.Throws<NativeDependencyException>(() => MpiLibrary.Open("libmpi.so.0-not-installed"));
        Assert.Contains("apt-get install openmpi-bin", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
