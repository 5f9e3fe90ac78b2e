namespace ContextNets.IO;

/// <summary>
/// Tells a full disk (ENOSPC, or a quota: EDQUOT) from other I/O failures. .NET on Unix keeps the errno as the
/// IOException's HResult, and the message then names the device, not what the user was doing.
/// </summary>
public static class DiskFull
{
    private const int NoSpace = 28, QuotaExceeded = 122;

    public static bool Is(Exception e) => e is IOException { HResult: NoSpace or QuotaExceeded };
}
