using System.Diagnostics;

namespace ContextNets.Tests.Cli;

/// <summary>
/// Runs ctxnet under Open MPI's mpirun, as a user would on one machine: N local ranks of one thread each (--bind-to
/// none, so that they share the cores as the scheduler likes; --oversubscribe, so that a 1-core machine still runs 2).
/// mpirun refuses to run as root unless told; CI runs as root.
/// </summary>
internal static class MpiJob
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "ctxnet.dll");

    /// <summary>mpirun's arguments for one or more groups of ranks (MPMD: "-np 1 A : -np 1 B" when they differ).</summary>
    public static string Arguments(params (int ranks, string args)[] groups) =>
        "--oversubscribe --bind-to none -x CTXNET_THREADS=1 -x CI=true " +
        string.Join(" : ", groups.Select(g => $"-np {g.ranks} dotnet {Cli} {g.args}"));

    public static Process Start(string mpirunArguments)
    {
        var psi = new ProcessStartInfo("mpirun", mpirunArguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        return Process.Start(psi)!;
    }

    public static (int exitCode, string stdout, string stderr) Run(int ranks, string args) => Run(Arguments((ranks, args)));

    public static (int exitCode, string stdout, string stderr) Run(string mpirunArguments, int timeoutSeconds = 120)
    {
        using var p = Start(mpirunArguments);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun {mpirunArguments} did not finish in {timeoutSeconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The process id of rank <paramref name="rank"/> among mpirun's children (mpirun launches local ranks itself).</summary>
    public static int? RankProcess(Process mpirun, int rank)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                if (parent != mpirun.Id) continue;
                var environ = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (environ.Contains($"OMPI_COMM_WORLD_RANK={rank}")) return pid;
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }
        return null;
    }
}
