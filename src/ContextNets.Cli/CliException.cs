namespace ContextNets.Cli;

/// <summary>A user's mistake (a bad option, a missing file): printed as its message alone, with a non-zero exit code.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

internal static class ExitCodes
{
    public const int BadInput = 2, NativeMissing = 3, Diverged = 4, Interrupted = 130;
}
