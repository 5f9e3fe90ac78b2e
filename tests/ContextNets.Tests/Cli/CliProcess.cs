using System.Diagnostics;

namespace ContextNets.Tests.Cli;

/// <summary>Runs the built ctxnet tool in a child process, as a user's shell would.</summary>
internal static class CliProcess
{
    /// <summary>Runs `ctxnet <paramref name="args"/>`; a run longer than <paramref name="timeoutSeconds"/> fails the test.</summary>
    public static (int exitCode, string stdout, string stderr) Run(string args, Dictionary<string, string>? env = null, int timeoutSeconds = 60)
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
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"ctxnet {args} did not finish in {timeoutSeconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
