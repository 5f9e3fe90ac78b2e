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

    /// <summary>CTXNET_THREADS, else OMP_NUM_THREADS, else one per core.</summary>
    public static int Requested()
    {
        foreach (var name in new[] { "CTXNET_THREADS", "OMP_NUM_THREADS" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int n) && n > 0) return n;
        return Environment.ProcessorCount;
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
    [LibraryImport(OpenMp)] private static partial int omp_get_max_threads();
}
