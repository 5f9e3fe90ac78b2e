namespace ContextNets.Cli;

/// <summary>A user's mistake (a bad option, a missing file): printed as its message alone, with a non-zero exit code.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>In a distributed run, every rank raised this same error: each may stop on its own, without aborting the job.</summary>
    public bool OnEveryRank { get; init; }
}

internal static class ExitCodes
{
    public const int BadInput = 2, NativeMissing = 3, Diverged = 4, Interrupted = 130;
}
