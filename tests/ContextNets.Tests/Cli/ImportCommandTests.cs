using ContextNets.Tests.Support;
using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.IO.Torch;
using ContextNets.Models;
using ContextNets.NN;
using ContextNets.Tests.IO.Torch;

namespace ContextNets.Tests.Cli;

/// <summary>`ctxnet import`: a torch.save file of the Fashion-MNIST gc_resnet20, the same under mmcv's names, hostile and mismatched files.</summary>
[Trait(Tier.Key, Tier.External)]
public sealed class ImportCommandTests(PthZooCases cases) : IClassFixture<PthZooCases>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ctxnet-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void APthBecomesSafetensorsThatLoadStrictlyWithTheSameValues()
    {
        var (pth, _) = cases.Get("gc_resnet20", 28);
        string input = Path.Combine(_dir, "gc.pth"), output = Path.Combine(_dir, "gc.safetensors");
        File.Copy(pth, input);
        var (code, stdout, stderr) = CliProcess.Run($"import {input} --model gc_resnet20 --strict");
        Assert.True(code == 0, stderr);
        using var skip = Initializers.SkipRandom();
        using var direct = Zoo.Create("gc_resnet20");
        direct.Load(pth);
        int total = direct.StateDict().Count;
        int counters;
        using (var file = TorchCheckpoint.Open(pth)) counters = file.Keys.Count(k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal));
        Assert.True(counters > 0);
        Assert.Contains($"gc_resnet20: {total} of {total} tensors loaded (0 reshaped), 0 missing; 0 file tensors unused, {counters} BatchNorm counters ignored", stdout);
        Assert.Contains("torch.save zip", stdout);
        Assert.Contains($"wrote {output}", stdout);

        using var imported = Zoo.Create("gc_resnet20");
        Assert.True(imported.Load(output).IsComplete);
        foreach (var (key, t) in direct.StateDict()) Assert.Equal(t.ToArray(), imported.StateDict()[key].ToArray());
        var meta = SafetensorsFile.Read(output).Metadata;
        Assert.Equal("gc_resnet20", meta["model"]);
        Assert.Equal("gc.pth", meta["imported_from"]);
        Assert.Equal("timm", meta["key_convention"]);
    }

    [Fact]
    public void MmcvNamesAreDetectedReshapedAndShownByMap()
    {
        using var skip = Initializers.SkipRandom();
        using var noGrad = GradMode.NoGrad();
        using var model = Zoo.Create("gc_resnet20");
        // gc_resnet20's own weights under mmdet's plugin and ContextBlock names, LayerNorm parameters as [p, 1, 1].
        var mmcv = new Dictionary<string, Tensor>();
        foreach (var (key, t) in model.StateDict())
        {
            string k = key.Replace(".se.conv_attn.", ".context_block.conv_mask.", StringComparison.Ordinal)
                .Replace(".se.mlp_add.fc1.", ".context_block.channel_add_conv.0.", StringComparison.Ordinal)
                .Replace(".se.mlp_add.fc2.", ".context_block.channel_add_conv.3.", StringComparison.Ordinal);
            bool norm = key.Contains(".se.mlp_add.norm.", StringComparison.Ordinal);
            if (norm) k = k.Replace(".se.mlp_add.norm.", ".context_block.channel_add_conv.1.", StringComparison.Ordinal);
            mmcv["backbone." + k] = norm ? t.Reshape(t.Shape[0], 1, 1) : t;
        }
        string input = Path.Combine(_dir, "mmcv.safetensors"), output = Path.Combine(_dir, "out.safetensors");
        SafetensorsFile.Write(input, mmcv);
        var (code, stdout, stderr) = CliProcess.Run($"import {input} --model gc_resnet20 --map --out {output}");
        Assert.True(code == 0, stderr);
        Assert.Contains("mmcv (detected from 'backbone.", stdout);
        Assert.Matches(@"(?m)^backbone\.layer2\.1\.context_block\.channel_add_conv\.1\.weight \[8, 1, 1\]\s+-> layer2\.1\.se\.mlp_add\.norm\.weight \[8\] \(reshaped\)$", stdout);
        Assert.Matches(@"(?m)^backbone\.layer1\.0\.context_block\.conv_mask\.bias \[1\]\s+-> layer1\.0\.se\.conv_attn\.bias$", stdout);
        Assert.Contains("(18 reshaped), 0 missing; 0 file tensors unused", stdout);
        foreach (var t in mmcv.Values.Where(t => t.Shape.Rank == 3)) t.Dispose();
    }

    [Fact]
    public void StrictRefusesWhatNonStrictReports()
    {
        var (pth, _) = cases.Get("gc_resnet20", 28);
        using var model = Zoo.Create("gc_resnet20");
        model.Load(pth);
        var sd = model.StateDict().Where(kv => kv.Key != "fc.bias").ToDictionary();
        using var extra = Tensor.Zeros([2]);
        sd["head.extra"] = extra;
        string input = Path.Combine(_dir, "partial.pth.safetensors"), output = Path.Combine(_dir, "partial.out.safetensors");
        SafetensorsFile.Write(input, sd);

        var (code, _, stderr) = CliProcess.Run($"import {input} --model gc_resnet20 --strict --out {output}");
        Assert.Equal(2, code);
        Assert.Contains("fc.bias", stderr);
        Assert.Contains("head.extra", stderr);
        Assert.False(File.Exists(output));

        // Without --partial a missing model tensor is refused as well, and nothing is written.
        (code, _, stderr) = CliProcess.Run($"import {input} --model gc_resnet20 --out {output}");
        Assert.Equal(2, code);
        Assert.Contains("1 of gc_resnet20's", stderr);
        Assert.Contains("fc.bias. Give --partial", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(output));

        (code, var stdout, stderr) = CliProcess.Run($"import {input} --model gc_resnet20 --out {output} --map --partial");
        Assert.True(code == 0, stderr);
        Assert.Contains("missing (left at their initial values, --partial): fc.bias", stdout);
        Assert.Contains("unused: head.extra", stdout);
        Assert.Matches(@"(?m)^\(missing\)\s+-> fc\.bias$", stdout);
        Assert.Matches(@"(?m)^head\.extra \[2\]\s+-> \(unused\)$", stdout);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void AFileThatMatchesNothingIsRefusedEvenWithPartial()
    {
        using var a = Tensor.Zeros([3, 3]);
        string input = Path.Combine(_dir, "other.safetensors"), output = Path.Combine(_dir, "nothing.out.safetensors");
        SafetensorsFile.Write(input, new Dictionary<string, Tensor> { ["encoder.weight"] = a, ["decoder.weight"] = a });
        var (code, _, stderr) = CliProcess.Run($"import {input} --model gc_resnet20 --partial --out {output}");
        Assert.Equal(2, code);
        Assert.Contains("none of its 2 tensors is one of gc_resnet20's", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AFullDiskIsOneLineAndLeavesNothingBehind()
    {
        var (pth, _) = cases.Get("gc_resnet20", 28);
        string mount = Directory.CreateDirectory(Path.Combine(_dir, "disk")).FullName, output = Path.Combine(mount, "gc.safetensors");
        var (code, _, stderr) = FullDisk.Run(mount, 64, $"import {pth} --model gc_resnet20 --out {output}", after: $"test -z \"$(ls -A '{mount}')\" || echo LEFTOVER >&2");
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Equal($"{output}: the disk is full; nothing was written.", stderr.Trim());
    }

    [Fact]
    public void OutNamingAFolderAndImpossibleSizesAreOneLineRefusals()
    {
        var (pth, _) = cases.Get("gc_resnet20", 28);
        foreach (string args in new[] { $"--out {_dir}", "--classes 2000000000", "--in-channels 100000000" })
        {
            var (code, stdout, stderr) = CliProcess.Run($"import {pth} --model gc_resnet20 {args}");
            Assert.True(code == 2, $"{args}: exit {code}\n{stderr}");
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.DoesNotContain("   at ", stderr);
            Assert.Empty(stdout);
        }
    }

    [Fact]
    public void HostileFilesUnknownModelsAndBadOptionsAreUserErrors()
    {
        var pickle = new PickleWriter().Proto().Global("os", "system").Str("touch pwned").Op(0x85).Reduce().Stop().ToArray();
        string hostile = Path.Combine(_dir, "evil.pth"), output = Path.Combine(_dir, "evil.safetensors");
        File.WriteAllBytes(hostile, TorchFiles.Zip(pickle, new Dictionary<string, byte[]>()));
        var (code, _, stderr) = CliProcess.Run($"import {hostile} --model gc_resnet20");
        Assert.Equal(2, code);
        Assert.Contains("the global os.system is not allowed", stderr);
        Assert.False(File.Exists(output));

        (code, _, stderr) = CliProcess.Run($"import {hostile} --model gc_resnet21");
        Assert.Equal(2, code);
        Assert.Contains("Unknown model 'gc_resnet21'", stderr);

        (code, _, stderr) = CliProcess.Run($"import {hostile} --model gc_resnet20 --convention detectron");
        Assert.Equal(2, code);
        Assert.Contains("Unknown key convention 'detectron'", stderr);

        string st = Path.Combine(_dir, "already.safetensors");
        File.WriteAllBytes(st, [0]);
        (code, _, stderr) = CliProcess.Run($"import {st} --model gc_resnet20");
        Assert.Equal(2, code);
        Assert.Contains("give the converted file a name with --out", stderr);
    }
}
