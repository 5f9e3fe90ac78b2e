using ContextNets.Backend.Dnnl;

namespace ContextNets.Backend.Managed;

/// <summary>
/// Managed parallel loops on the same thread count as oneDNN's OpenMP pool.
/// Small jobs stay on the calling thread: waking workers costs more than the work.
/// </summary>
internal static class Par
{
    private const long MinWorkPerThread = 1 << 15;
    private static readonly int Threads = Math.Max(1, ThreadSettings.Requested());

    /// <summary>The engine's thread count as the environment asks for it now (<see cref="ThreadSettings.Requested"/>), for kernels that size their own partitions.</summary>
    public static int RequestedThreads() => ThreadSettings.Requested();

    /// <summary>Runs body(begin, end) over [0, count) in up to one chunk per thread; workPerItem sizes the job.</summary>
    public static void For(int count, long workPerItem, Action<int, int> body)
    {
        long work = count * Math.Max(1, workPerItem);
        int chunks = (int)Math.Min(Math.Min(Threads, count), Math.Max(1, work / MinWorkPerThread));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }
        System.Threading.Tasks.Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
        {
            int begin = (int)((long)count * c / chunks), end = (int)((long)count * (c + 1) / chunks);
            body(begin, end);
        });
    }
}
