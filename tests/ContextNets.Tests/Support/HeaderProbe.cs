using System.Diagnostics;

namespace ContextNets.Tests.Support;

/// <summary>
/// Compiles a small C program against the installed headers with gcc and runs it: the bindings' sizes and constants
/// are then checked against the real ones, not against themselves.
/// </summary>
internal static class HeaderProbe
{
    /// <summary>The numbers the program prints, one array per line; <paramref name="compilerFlags"/> go after the source (-I, -l).</summary>
    public static long[][] Run(string source, string compilerFlags = "")
    {
        var dir = Directory.CreateTempSubdirectory("ctxnet-probe");
        try
        {
            string src = Path.Combine(dir.FullName, "probe.c"), exe = Path.Combine(dir.FullName, "probe");
            File.WriteAllText(src, source);
            Execute("cc", $"{src} -o {exe} {compilerFlags}");
            return Execute(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray())
                .ToArray();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Execute(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {args} failed: {error.Result}");
        return output;
    }
}
