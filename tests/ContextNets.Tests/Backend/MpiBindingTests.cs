using System.Diagnostics;
using ContextNets.Backend.Mpi;

namespace ContextNets.Tests.Backend;

/// <summary>
/// The Open MPI binding against the installed mpi.h, compiled with gcc: the sizes of the handle types the binding
/// marshals as pointers, the constants it hard-codes, and that each predefined handle is the address of the exported
/// global the binding resolves by name.
/// </summary>
public class MpiBindingTests
{
    private const string Include = "/usr/lib/x86_64-linux-gnu/openmpi/include";

    [Fact]
    public unsafe void HandlesAndConstantsMatchTheInstalledHeader()
    {
        Assert.True(File.Exists(Path.Combine(Include, "mpi.h")), $"{Include}/mpi.h is missing: install libopenmpi-dev (./.ci/run does).");
        var dir = Directory.CreateTempSubdirectory("ctxnet-mpi-probe");
        try
        {
            string src = Path.Combine(dir.FullName, "probe.c"), exe = Path.Combine(dir.FullName, "probe");
            File.WriteAllText(src, $$"""
                #include <stdio.h>
                #include <mpi.h>
                int main(void) {
                  printf("%zu %zu %zu %zu %zu %zu\n", sizeof(MPI_Comm), sizeof(MPI_Datatype), sizeof(MPI_Op), sizeof(MPI_Request),
                    sizeof(long long), sizeof(MPI_Count));
                  printf("%d %d %ld %ld\n", MPI_SUCCESS, MPI_THREAD_FUNNELED, (long)MPI_IN_PLACE, (long)MPI_STATUS_IGNORE);
                  printf("%d %d %d %d %d %d %d\n",
                    MPI_COMM_WORLD == (MPI_Comm)&{{MpiHandles.CommWorldSymbol}}, MPI_FLOAT == (MPI_Datatype)&{{MpiHandles.FloatSymbol}},
                    MPI_DOUBLE == (MPI_Datatype)&{{MpiHandles.DoubleSymbol}}, MPI_BYTE == (MPI_Datatype)&{{MpiHandles.ByteSymbol}},
                    MPI_LONG_LONG_INT == (MPI_Datatype)&{{MpiHandles.LongLongSymbol}}, MPI_SUM == (MPI_Op)&{{MpiHandles.SumSymbol}},
                    MPI_MAX == (MPI_Op)&{{MpiHandles.MaxSymbol}});
                  return 0;
                }
                """);
            Run("cc", $"-I{Include} {src} -o {exe} -lmpi");
            var lines = Run(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(new long[] { sizeof(nint), sizeof(nint), sizeof(nint), sizeof(nint), sizeof(long), sizeof(long) }, Numbers(lines[0]));
            Assert.Equal(new long[] { MpiNative.Success, MpiNative.ThreadFunneled, (long)MpiNative.InPlace, (long)MpiNative.StatusIgnore }, Numbers(lines[1]));
            Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1 }, Numbers(lines[2]));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void AMissingLibraryIsOneMessageThatNamesThePackage()
    {
        var e = Assert.Throws<NativeDependencyException>(() => MpiLibrary.Open("libmpi.so.0-not-installed"));
        Assert.Contains("apt-get install openmpi-bin", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static long[] Numbers(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd(), error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {args} failed: {error}");
        return output;
    }
}
