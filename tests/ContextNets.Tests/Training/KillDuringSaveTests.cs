using System.Diagnostics;
using ContextNets.NN;
using ContextNets.Training;
using Xunit.Abstractions;

namespace ContextNets.Tests.Training;

/// <summary>
/// The real thing: a child process trains and checkpoints after every step, and is killed with SIGKILL at
/// random moments inside its saves. Each time, the checkpoint on disk must load whole (sizes and digests
/// checked) and be one the child committed, and the next child must resume from it and clean up the leftovers.
/// </summary>
public sealed class KillDuringSaveTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ctxnet-kill-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void CheckpointSurvivesSigkillDuringSave()
    {
        var random = new Random(5);
        long committed = 0;
        int midSaveKills = 0, rounds = 0;
        while (midSaveKills < 3 && rounds < 25)
        {
            rounds++;
            var (savingStep, savedStep) = RunChildAndKill(random.Next(0, 40));
            Assert.True(savedStep >= committed, $"round {rounds}: the child reported step {savedStep} saved, after {committed}");
            bool leftovers = Directory.GetFiles(_dir).Any(f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal))
                || Directory.GetFiles(_dir, "last-*.safetensors").Length > 2;
            if (leftovers) midSaveKills++;

            var state = LoadAndCheck();
            // The checkpoint on disk is the last one reported saved, or the one being saved when the kill came.
            Assert.InRange(state.Step, savedStep, savingStep);
            committed = state.Step;
        }
        output.WriteLine($"{midSaveKills} of {rounds} kills landed inside a save; the last checkpoint is step {committed}");
        Assert.True(midSaveKills >= 1, $"no kill in {rounds} rounds landed inside a save; the test proved nothing");
    }

    /// <summary>Starts the child, waits for a save that follows a finished one, kills it <paramref name="delayMs"/> into that save.</summary>
    private (long saving, long saved) RunChildAndKill(int delayMs)
    {
        var psi = new ProcessStartInfo("dotnet", $"{Path.Combine(AppContext.BaseDirectory, "ctxnet-kill-child.dll")} {_dir}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        long saving = -1, saved = -1;
        // A hung child would block ReadLine forever: kill it after a minute, which ends its output.
        using var watchdog = new Timer(_ => p.Kill(), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        try
        {
            while (true)
            {
                string? line = p.StandardOutput.ReadLine();
                if (line is null) Assert.Fail($"the child ended before its second save: {stderr.Result}");
                if (line.StartsWith("saved ", StringComparison.Ordinal)) saved = long.Parse(line[6..]);
                if (line.StartsWith("saving ", StringComparison.Ordinal))
                {
                    saving = long.Parse(line[7..]);
                    if (saved >= 0) break;
                }
            }
            if (delayMs > 0) Thread.Sleep(delayMs);
        }
        finally
        {
            p.Kill();
            p.WaitForExit();
        }
        return (saving, saved);
    }

    private TrainingState LoadAndCheck()
    {
        Initializers.Seed(99);
        using var model = new Sequential(new Linear(512, 2048), new Lambda(F.Relu), new Linear(2048, 10));
        using var optimizer = Sgd.For(model, 0.01, momentum: 0.9, weightDecay: 1e-4);
        using var ema = new ModelEma(model, 0.99);
        var state = Checkpoint.Load(_dir, "last", model, optimizer, ema);
        double sum = model.StateDict().OrderBy(kv => kv.Key, StringComparer.Ordinal).Sum(kv => kv.Value.ToArray().Sum(v => (double)v));
        Assert.Equal(state.Metrics["weight_sum"], sum);
        return state;
    }
}
