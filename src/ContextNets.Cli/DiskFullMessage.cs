using ContextNets.IO;

namespace ContextNets.Cli;

/// <summary>A full disk while a command writes: one line with the path, that the disk is full, and what is intact.</summary>
internal static class DiskFullMessage
{
    /// <summary>Runs <paramref name="write"/>; a full disk becomes a <see cref="CliException"/> naming <paramref name="path"/> and <paramref name="intact"/>.</summary>
    public static void Guard(string path, string intact, Action write)
    {
        try { write(); }
        catch (IOException e) when (DiskFull.Is(e)) { throw For(path, intact); }
    }

    public static CliException For(string path, string intact) => new($"{path}: the disk is full; {intact}.");
}
