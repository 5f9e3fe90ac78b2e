using ContextNets.Models.Video;

namespace ContextNets.Tests.Cli;

public class VideoModelsCommandTests
{
    /// <summary>
    /// torchvision 0.14 counts 33,371,472, 11,695,440 and 31,505,325 parameters in its three VideoResNets (Kinetics
    /// heads); a ResNet-50 with a 400-class fc has 25,557,032 - 2,049,000 + 819,600 = 24,327,632. PyTorch's forward
    /// hooks count 40.70, 43.34 and 40.52 G multiply-adds in them on a 16x112x112 clip (tests/python/video_macs.py).
    /// </summary>
    [Fact]
    public void TheListingEndsWithTheVideoNetworksTheirParametersAndTheirClip()
    {
        var (code, stdout, stderr) = CliProcess.Run("models", timeoutSeconds: 180);
        Assert.True(code == 0, stderr);
        foreach (var name in VideoZoo.Names) Assert.Matches($@"(?m)^{name}\s", stdout);
        Assert.Matches(@"(?m)^r3d_18\s+33\.37M\s+40\.7 GMACs\s+3x16x112x112\s", stdout);
        Assert.Matches(@"(?m)^mc3_18\s+11\.70M\s+43\.3 GMACs\s+3x16x112x112\s", stdout);
        Assert.Matches(@"(?m)^r2plus1d_18\s+31\.51M\s+40\.5 GMACs\s+3x16x112x112\s", stdout);
        Assert.Matches(@"(?m)^c2d_resnet50\s+24\.33M\s+\S+ GMACs\s+3x8x224x224\s", stdout);
        Assert.Matches(@"(?m)^i3d_small_nl\s+\S+M\s+\S+ GMACs\s+3x8x48x48\s", stdout);
    }

    [Fact]
    public void OneVideoNetworkIsDescribedInOneLine()
    {
        var (code, stdout, stderr) = CliProcess.Run("models r3d_18");
        Assert.True(code == 0, stderr);
        Assert.Equal("r3d_18: torchvision R3D-18: 3x3x3 convs throughout; 33.37M parameters, 40.7 GMACs per clip; made for clips 3x16x112x112 (C x T x H x W); docs/video.md gives its keys.", stdout.Trim());
    }
}
