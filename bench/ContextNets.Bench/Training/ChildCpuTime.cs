using System.Runtime.InteropServices;

namespace ContextNets.Bench.Training;

/// <summary>
/// CPU seconds used by this process's finished children (getrusage RUSAGE_CHILDREN): an exited
/// Process no longer answers TotalProcessorTime on Linux, and a child's own children count here too.
/// </summary>
internal static partial class ChildCpuTime
{
    private const int RusageChildren = -1;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds, Microseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public TimeVal User, System;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVCsw, NIvCsw;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRUsage(int who, out RUsage usage);

    public static double Seconds()
    {
        if (GetRUsage(RusageChildren, out var u) != 0) return double.NaN;
        return u.User.Seconds + u.System.Seconds + (u.User.Microseconds + u.System.Microseconds) / 1e6;
    }
}
