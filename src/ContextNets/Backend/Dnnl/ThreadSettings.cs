using System.Runtime.InteropServices;

namespace ContextNets.Backend.Dnnl;

/// <summary>
/// One thread count for the whole engine. oneDNN (built with OpenMP on Debian) runs its kernels on as many threads
/// as OpenMP's per-thread setting says, and .NET does not pass Environment.SetEnvironmentVariable to native code, so
/// the count is given with omp_set_num_threads. That call sets the calling thread's value only: every thread applies
/// the current count before it makes or runs a primitive (<see cref="ApplyOnThisThread"/>), so a change made after
/// first use reaches every thread at its next kernel. Managed parallel loops read the same count, so the two never
/// oversubscribe the cores.
/// </summary>
internal static partial class ThreadSettings
{
    private const string OpenMp = "libgomp.so.1";
    private static volatile int _chosen;
    private static volatile int _generation = 1;
    private static bool? _openMpLoaded;
    [ThreadStatic] private static int _appliedGeneration;

    /// <summary>CTXNET_THREADS, else OMP_NUM_THREADS, else one per core.</summary>
    public static int Requested()
    {
        foreach (var name in new[] { "CTXNET_THREADS", "OMP_NUM_THREADS" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int n) && n > 0) return n;
        return Environment.ProcessorCount;
    }

    /// <summary>The environment's count, read once: <see cref="Count"/> is asked for on every op.</summary>
    private static readonly int Default = Requested();

    /// <summary>The count in force: the one set last, else <see cref="Requested"/>.</summary>
    public static int Count => _chosen > 0 ? _chosen : Default;

    /// <summary>Makes <paramref name="threads"/> the count; each thread takes it up at its next oneDNN call.</summary>
    public static void Set(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _chosen = threads;
        Interlocked.Increment(ref _generation);
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

    /// <summary>Gives OpenMP the current count for this thread, when it has not had it yet.</summary>
    public static void ApplyOnThisThread()
    {
        int generation = _generation;
        if (_appliedGeneration == generation) return;
        _appliedGeneration = generation;
        if (_openMpLoaded ??= NativeLibrary.TryLoad(OpenMp, out _)) omp_set_num_threads(Count);
    }

    /// <summary>What OpenMP will give this thread's next parallel region (the count it was last given); 0 without OpenMP.</summary>
    public static int OpenMpThreadsOnThisThread() => _openMpLoaded == true ? omp_get_max_threads() : 0;

    [LibraryImport(OpenMp)] private static partial void omp_set_num_threads(int n);
    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)] private static partial int setenv(string name, string value, int overwrite);
    [LibraryImport(OpenMp)] private static partial int omp_get_max_threads();
}
