using System.Runtime.InteropServices;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// One thread count for the whole engine. oneDNN (built with OpenMP on
/// Debian) reads OMP_NUM_THREADS when its runtime starts; .NET does not pass
/// Environment.SetEnvironmentVariable to native code, so the count is set
/// with omp_set_num_threads before the first kernel runs. Managed parallel
/// loops use the same count, so the two never oversubscribe the cores.
/// </summary>
internal static partial class ThreadSettings
{
    private const string OpenMp = "libgomp.so.1";

    /// <summary>
    /// CTXNET_THREADS, else OMP_NUM_THREADS, else one per core this process may use, shared with the other ranks that
    /// mpirun started on this machine (OMPI_COMM_WORLD_LOCAL_SIZE), so that ranks without core binding do not
    /// oversubscribe the cores.
    /// </summary>
    public static int Requested()
    {
        foreach (var name in new[] { "CTXNET_THREADS", "OMP_NUM_THREADS" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int n) && n > 0) return n;
        if (int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int ranks) && ranks > 1)
            return Math.Max(1, Environment.ProcessorCount / ranks);
        return Environment.ProcessorCount;
    }

    /// <summary>
    /// Makes idle OpenMP workers sleep rather than spin (OMP_WAIT_POLICY=passive,
    /// unless the user chose a policy). libgomp reads this once, when it loads
    /// with oneDNN, so this runs first. Spinning workers took the cores from the
    /// managed parallel loops that run between oneDNN calls: on a busy machine a
    /// tiny 1x1 conv then cost milliseconds instead of microseconds.
    /// </summary>
    public static void PrepareEnvironment()
    {
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) setenv("OMP_WAIT_POLICY", "passive", 0);
    }

    public static int Apply()
    {
        int n = Requested();
        if (NativeLibrary.TryLoad(OpenMp, out _))
        {
            omp_set_num_threads(n);
            return omp_get_max_threads();
        }
        return n;
    }

    [LibraryImport(OpenMp)] private static partial void omp_set_num_threads(int n);
    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)] private static partial int setenv(string name, string value, int overwrite);
    [LibraryImport(OpenMp)] private static partial int omp_get_max_threads();
}
