using System.Diagnostics;

namespace ContextNets.Tests.Cli;

/// <summary>
/// Runs ctxnet on a disk that fills up: a tmpfs of a few kilobytes, mounted in a user and mount namespace of its
/// own (`unshare -Urm`, util-linux; no root needed), so the writes meet a real ENOSPC from the kernel and nothing
/// outside the child sees the mount. The mount ends with the child, so <paramref name="after"/> copies out what the
/// test must inspect.
/// </summary>
internal static class FullDisk
{
    /// <summary>
    /// Mounts <paramref name="kilobytes"/> KiB at <paramref name="mount"/> (an empty folder), runs
    /// <paramref name="before"/> (shell), then `ctxnet <paramref name="args"/>`, then <paramref name="after"/>.
    /// </summary>
    public static (int exitCode, string stdout, string stderr) Run(string mount, int kilobytes, string args, string before = ":", string after = ":",
        Dictionary<string, string>? env = null)
    {
        string ctxnet = $"dotnet {Path.Combine(AppContext.BaseDirectory, "ctxnet.dll")} {args}";
        string script = $"mount -t tmpfs -o size={kilobytes}k tmpfs '{mount}' || exit 99; {before} || exit 98; {ctxnet}; code=$?; {after}; exit $code";
        var psi = new ProcessStartInfo("unshare", ["-Urm", "sh", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"ctxnet {args} on a full disk did not finish in 120 s");
        }
        Assert.True(p.ExitCode is not (98 or 99), $"The small disk could not be set up (unshare -Urm and a tmpfs mount are needed): {stderr.Result}");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
