namespace ContextNets.Cli;

/// <summary>Checks a file a command is about to write, before any work is done.</summary>
internal static class OutputFile
{
    /// <summary>Refuses a path that names a folder: the write would fail only at the end, after the work.</summary>
    public static void Require(string path, string option, string example)
    {
        if (Directory.Exists(path)) throw new CliException($"{option} {path} is a folder; give the file to write, such as {Path.Combine(path, example)}.");
    }
}
