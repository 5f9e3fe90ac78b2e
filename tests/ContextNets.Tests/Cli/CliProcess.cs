using System.Diagnostics;

namespace ContextNets.Tests.Cli;

/// <summary>Runs the built ctxnet tool in a child process, as a user's shell would.</summary>
internal static class CliProcess
{
    public static (int exitCode, string stdout, string stderr) Run(string args, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo("dotnet", $"{Path.Combine(AppContext.BaseDirectory, "ctxnet.dll")} {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"ctxnet {args} did not finish in 60 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
