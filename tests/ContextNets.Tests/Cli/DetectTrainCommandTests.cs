using System.Text.Json.Nodes;
using ContextNets.Detection;
using ContextNets.IO;
using ContextNets.Tests.Data;
using ContextNets.Tests.Support;
using ContextNets.Training;

namespace ContextNets.Tests.Cli;

/// <summary>
/// `ctxnet train --task detect` on a tiny COCO-format set (<see cref="TinyCoco"/>): it trains, splits off its
/// validation images, keeps the categories as the run's classes for eval and detect, and a run stopped after an epoch
/// and resumed ends with the very weights of an uninterrupted one. Each case trains Mask R-CNN steps in a child
/// process (tens of seconds on a loaded machine), so the class is in the external tier.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public sealed class DetectTrainCommandTests : IDisposable
{
    private const string Tiny = "--det-image-size 64 --batch-size 2";
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void ACocoSetTrainsAndItsCategoriesNameTheDetections()
    {
        string data = TinyCoco.Write(_tmp.Path), run = _tmp.File("run"), pictures = _tmp.File("pictures");
        var (code, stdout, stderr) = CliProcess.Run($"train --task detect --data {data} --det-val-split 0.25 --epochs 1 {Tiny} --out {run}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("3 train / 1 val images (--det-val-split 0.25, seed 1)", stdout);
        var recipe = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "detect.json")))!;
        Assert.Equal("coco", (string)recipe["Data"]!);
        Assert.Equal(["background", .. TinyCoco.Categories], recipe["ClassNames"]!.AsArray().Select(n => (string)n!));

        (code, stdout, stderr) = CliProcess.Run($"eval {run}", timeoutSeconds: 300);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("on 1 val images", stdout);

        (code, stdout, stderr) = CliProcess.Run($"detect {run} {Path.Combine(_tmp.Path, "images", "0.png")} --score-threshold 0 --out {pictures}", timeoutSeconds: 300);
        Assert.True(code == 0, stderr + stdout);
        var found = JsonNode.Parse(File.ReadAllText(Path.Combine(pictures, "0.detections.json")))!["detections"]!.AsArray();
        Assert.NotEmpty(found);
        Assert.All(found, d => Assert.Equal(TinyCoco.Categories[(int)d!["label"]! - 1], (string)d["class"]!));
    }

    [Fact]
    public void AResumedRunEndsWithTheWeightsOfAnUninterruptedOne()
    {
        string data = TinyCoco.Write(_tmp.Path), whole = _tmp.File("whole"), halves = _tmp.File("halves");
        var (code, stdout, stderr) = CliProcess.Run($"train --task detect --data {data} --epochs 2 {Tiny} --out {whole}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr + stdout);
        (code, stdout, stderr) = CliProcess.Run($"train --task detect --data {data} --epochs 1 {Tiny} --out {halves}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr + stdout);
        // The stop after epoch 1 of 2: the first run's settings but one epoch. Both epochs stay in the warmup (100
        // steps), so the learning rate of each step is the same in both runs.
        string recipe = Path.Combine(halves, "detect.json");
        File.WriteAllText(recipe, File.ReadAllText(recipe).Replace("\"Epochs\": 1", "\"Epochs\": 2"));
        (code, stdout, stderr) = CliProcess.Run($"train --resume {halves}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("Resuming after epoch 1 of 2.", stdout);

        using var a = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, fromScratch: true);
        using var b = DetectionZoo.Create("maskrcnn_resnet18_fpn", 3, fromScratch: true, seed: 99);
        Assert.Equal(2, Checkpoint.Load(whole, Trainer.Last, a).Epoch);
        Assert.Equal(2, Checkpoint.Load(halves, Trainer.Last, b).Epoch);
        var theirs = b.StateDict();
        foreach (var (name, tensor) in a.StateDict())
            Assert.True(tensor.ToArray().SequenceEqual(theirs[name].ToArray()), $"{name} differs");
    }

    [Fact]
    public void InitStartsTheBodyFromAClassifierAndRefusesOneThatDoesNotFit()
    {
        string data = TinyCoco.Write(_tmp.Path), run = _tmp.File("run"), gray = _tmp.File("gray.safetensors"), other = _tmp.File("resnet34.safetensors");
        using (var classifier = ContextNets.Models.Zoo.Create("resnet18", numClasses: 10, inChannels: 1, seed: 3)) classifier.Save(gray);
        var (code, stdout, stderr) = CliProcess.Run($"train --task detect --data {data} --epochs 1 {Tiny} --init {gray} --out {run}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("Body: from gray.safetensors (resnet18); the FPN and the heads start anew.", stdout);
        Assert.Equal(Path.GetFullPath(gray), (string)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "detect.json")))!["Init"]!);

        using (var classifier = ContextNets.Models.Zoo.Create("resnet34", numClasses: 10, seed: 3)) classifier.Save(other);
        foreach (var (init, says) in new[] { (other, "resnet34.safetensors cannot be used"), (_tmp.File("none"), "does not exist") })
        {
            string refused = _tmp.File("refused");
            (code, stdout, stderr) = CliProcess.Run($"train --task detect --data {data} --epochs 1 {Tiny} --init {init} --out {refused}", timeoutSeconds: 300);
            Assert.True(code == 2, $"exit {code}: {stderr}{stdout}");
            Assert.Contains(says, stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.False(Directory.Exists(refused), $"{refused} was left behind");
        }
    }

    [Fact]
    public void OnTheScenesTheBodyIsFirstPretrainedOnFashionMnist()
    {
        string run = _tmp.File("run"), body = Path.Combine(run, "body");
        var (code, stdout, stderr) = CliProcess.Run($"train --task detect --det-body-images 256 --det-train-scenes 2 --det-val-scenes 1 --epochs 1 {Tiny} --out {run}", timeoutSeconds: 600);
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains($"Pretraining the body: resnet18 on Fashion-MNIST at 64 px, 1 epoch of its first 256 images, into {body}", stdout);
        Assert.Contains($"Body: from {body} (resnet18, epoch 1, test accuracy ", stdout);
        Assert.Equal(1, Checkpoint.ReadState(body, Trainer.Best).Epoch);
        Assert.Equal(body, (string)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "detect.json")))!["Init"]!);
    }

    [Fact]
    public async Task SigtermBeforeTheFirstCheckpointLeavesNoRunFolder()
    {
        string run = _tmp.File("run");
        // The header's last line comes after the run folder is made and before the first step; 1000 steps of an
        // epoch cannot be done between it and the signal, so no checkpoint exists yet.
        var (code, stdout, stderr) = await TerminatedAfter($"train --task detect --from-scratch --det-train-scenes 2000 --det-val-scenes 1 --det-image-size 64 --out {run}", "Run folder:", run);
        Assert.True(code == 130, $"exit {code}: {stderr}{stdout}");
        Assert.Contains("Interrupted. Nothing was kept", stderr);
        Assert.False(Directory.Exists(run), $"{run} was left behind");
    }

    [Fact]
    public async Task SigtermWhileThePretrainingRunsRemovesTheRunAndSaysSo()
    {
        string run = _tmp.File("run");
        // The body's own header ends with its run folder, RUN/body; its epoch of 60,000 images takes minutes.
        var (code, stdout, stderr) = await TerminatedAfter($"train --task detect --det-train-scenes 2 --det-val-scenes 1 {Tiny} --out {run}", "Run folder:", run);
        Assert.True(code == 130, $"exit {code}: {stderr}{stdout}");
        Assert.Contains("Pretraining the body", stdout);
        Assert.Contains($"Interrupted while pretraining the body. Nothing was kept: {run} was removed.", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(run), $"{run} was left behind");
    }

    /// <summary>Runs ctxnet until it prints a line containing <paramref name="line"/> and <paramref name="folder"/> exists, then sends it SIGTERM.</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> TerminatedAfter(string args, string line, string folder)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet", $"{Path.Combine(AppContext.BaseDirectory, "ctxnet.dll")} {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["CI"] = "true";
        using var p = System.Diagnostics.Process.Start(psi)!;
        try
        {
            var stderrTask = p.StandardError.ReadToEndAsync();
            var stdout = new System.Text.StringBuilder();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!stdout.ToString().Contains(line) && DateTime.UtcNow < deadline && await p.StandardOutput.ReadLineAsync() is { } next)
                stdout.AppendLine(next);
            Assert.Contains(line, stdout.ToString());
            Assert.True(Directory.Exists(folder));
            using (var kill = System.Diagnostics.Process.Start("kill", $"-TERM {p.Id}")!) kill.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            stdout.Append(await p.StandardOutput.ReadToEndAsync(timeout.Token));
            await p.WaitForExitAsync(timeout.Token);
            return (p.ExitCode, stdout.ToString(), await stderrTask);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }
}
