using System.Diagnostics;
using System.Globalization;
using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Models.Video;

/// <summary>The profiler on clips: one 3-D conv by hand, torchvision's video ResNets against PyTorch's hook counts, and the shapes against a real forward.</summary>
public sealed class VideoProfilerTests
{
    [Fact]
    public void AGroupedStridedConv3dCostsItsOutputTimesItsKernelVolumeAndGroupWidth()
    {
        using var conv = new Conv3d(4, 6, (3, 5, 5), (1, 2, 2), (1, 2, 2), groups: 2);
        var p = Profiler.Of(conv, new Shape(2, 4, 5, 9, 9));
        // T = (5 + 2 - 3) / 1 + 1 = 5, H = W = (9 + 4 - 5) / 2 + 1 = 5; each output sums 4 / 2 channels x 3 x 5 x 5 taps.
        Assert.Equal(new Shape(2, 6, 5, 5, 5), p.Total.Output);
        Assert.Equal(2L * 6 * 5 * 5 * 5 * (2 * 3 * 5 * 5), p.Total.Ops.Macs);
        Assert.Equal(2L * 6 * 5 * 5 * 5, p.Total.Ops.OtherOps);
    }

    // [1, 3, 16, 112, 112], counted by tests/python/video_macs.py (PyTorch 1.13 forward hooks on torchvision 0.14's
    // models); torchvision's model docs give the same 40.70, 43.34 and 40.52 G as "GFLOPS".
    [Theory]
    [InlineData("r3d_18", 40_696_553_472)]
    [InlineData("mc3_18", 43_342_635_008)]
    [InlineData("r2plus1d_18", 40_519_080_960)]
    public void TorchvisionVideoResNetMacsMatchPyTorchHooks(string name, long macs)
    {
        using var skip = Initializers.SkipRandom();
        using var model = VideoZoo.Create(name);
        var profile = Profiler.Of(model, new Shape(1, 3, 16, 112, 112));
        Assert.Equal(macs, profile.Total.Ops.Macs);
        Assert.Equal(model.ParameterCount, profile.Total.Params);
    }

    [Theory]
    [InlineData("i3d_small_nl", 1, 4, 32)]
    [InlineData("i3d_small_gc", 1, 6, 32)]
    public void ProfiledShapesAreTheForwardsShapes(string name, int channels, int frames, int size)
    {
        using var skip = Initializers.SkipRandom();
        using var model = VideoZoo.Create(name, numClasses: 5, inChannels: channels);
        model.Eval();
        var shape = new Shape(2, channels, frames, size, size);
        var profile = Profiler.Of(model, shape);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        Assert.Equal(model.Forward(Tensor.Randn(shape, 1)).Shape, profile.Total.Output);
        Assert.Equal(model.ParameterCount, profile.TopLevel.Sum(m => m.Params));
        Assert.Equal(model.ParameterCount, profile.Total.Params);
    }
}

/// <summary>The Non-local paper's networks (NL and GC blocks included) and R(2+1)D on other clips, against tests/python/video_macs.py run now.</summary>
[Trait(Tier.Key, Tier.External)]
public sealed class VideoProfilerPyTorchTests
{
    private static readonly (string name, int frames, int size)[] Cases =
        [("r2plus1d_18", 4, 32), ("c2d_resnet50", 4, 64), ("i3d_resnet50_nl5", 4, 64), ("i3d_resnet50_gc", 4, 64)];

    [Fact]
    public void MacsMatchPyTorchHooks()
    {
        var expected = PyTorchMacs();
        for (int i = 0; i < Cases.Length; i++)
        {
            var (name, frames, size) = Cases[i];
            using var skip = Initializers.SkipRandom();
            using var model = VideoZoo.Create(name);
            Assert.True(expected[i] == Profiler.Of(model, new Shape(1, 3, frames, size, size)).Total.Ops.Macs, $"{name}: PyTorch's hooks count {expected[i]}");
        }
    }

    private static long[] PyTorchMacs()
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(TestData.RepoRoot, "tests", "python", "video_macs.py"));
        foreach (var (name, frames, size) in Cases)
        {
            psi.ArgumentList.Add(name);
            psi.ArgumentList.Add(frames.ToString(CultureInfo.InvariantCulture));
            psi.ArgumentList.Add(size.ToString(CultureInfo.InvariantCulture));
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start /usr/bin/python3.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"video_macs.py failed (install python3-torch python3-torchvision): {stderr.Result}");
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => long.Parse(l, CultureInfo.InvariantCulture))];
    }
}
