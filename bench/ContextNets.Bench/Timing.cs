using System.Diagnostics;

namespace ContextNets.Bench;

/// <summary>
/// A small timing harness: warm-up, then the median of single runs. Kept
/// deliberately plain so that it measures what the PyTorch script measures
/// (time.perf_counter around one call, median of the reps), which makes the
/// same-run ratio meaningful.
/// </summary>
internal static class Timing
{
    /// <summary>
    /// Median and minimum wall time of one call, in milliseconds, and the
    /// number of timed calls. When the last warm-up call shows that the reps
    /// would take longer than the budget, fewer reps are run (never below
    /// three), so that a pathologically slow kernel does not hold the
    /// shared machine for long.
    /// </summary>
    public static (double median, double min, int reps) Milliseconds(Action run, int warmup, int reps, double budgetMs = double.PositiveInfinity)
    {
        double last = 0;
        for (int i = 0; i < warmup; i++)
        {
            long w0 = Stopwatch.GetTimestamp();
            run();
            last = Stopwatch.GetElapsedTime(w0).TotalMilliseconds;
        }
        if (last * reps > budgetMs) reps = Math.Max(3, (int)(budgetMs / last));
        var samples = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return (Median(samples), samples.Min(), reps);
    }

    /// <summary>
    /// Median over batches of the mean time of one call within a batch, in
    /// microseconds. The warm-up lasts long enough for the JIT's tier-1 code
    /// (compiled in the background after a delay) to replace the first code.
    /// </summary>
    public static double MicrosecondsPerCall(Action run, int perBatch, int batches, double warmupMs = 500)
    {
        long w0 = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(w0).TotalMilliseconds < warmupMs) run();
        var samples = new double[batches];
        for (int b = 0; b < batches; b++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < perBatch; i++) run();
            samples[b] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / perBatch;
        }
        return Median(samples);
    }

    public static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    public static double GeometricMean(IEnumerable<double> values)
    {
        double logSum = 0;
        int n = 0;
        foreach (double v in values) { logSum += Math.Log(v); n++; }
        return n == 0 ? double.NaN : Math.Exp(logSum / n);
    }
}
