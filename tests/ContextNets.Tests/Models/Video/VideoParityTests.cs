using ContextNets.Autograd;
using ContextNets.IO;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Tests.Support;
using Xunit.Abstractions;

namespace ContextNets.Tests.Models.Video;

/// <summary>
/// Logits parity of the video networks with PyTorch on 4-frame clips: torchvision's r3d_18, mc3_18 and r2plus1d_18
/// (torchvision's own code), and the NL paper's networks as tests/python/make_video_case.py writes them from the
/// paper; random weights, non-trivial BatchNorm, strict loading, max |ours - theirs| &lt;= 1e-4 max |theirs|.
/// </summary>
[Trait(Tier.Key, Tier.External)]
public class VideoParityTests(VideoCases cases, ITestOutputHelper output) : IClassFixture<VideoCases>
{
    [Theory]
    [InlineData("r3d_18", 32)]
    [InlineData("mc3_18", 32)]
    [InlineData("r2plus1d_18", 32)]
    [InlineData("c2d_resnet50", 32)]
    [InlineData("i3d_resnet50", 32)]
    [InlineData("i3d_resnet50_nl5", 32)]
    [InlineData("i3d_resnet50_nl10", 32)]
    [InlineData("i3d_resnet50_gc", 32)]
    public void LogitsMatchPyTorch(string name, int size)
    {
        var (weights, io) = cases.Get(name, size);
        using var model = VideoZoo.Create(name);
        // Strict: every key of the file and of the model must match, or Load throws naming them.
        model.Load(weights);
        model.Eval();
        var clip = SafetensorsFile.Read(io);
        using var scope = Tensor.Scope();
        using var noGrad = GradMode.NoGrad();
        var logits = model.Forward(clip.Load("x")).ToArray();
        Logits.AssertClose(output, $"{name} {size}x{size}x4", clip.Load("logits").ToArray(), logits);
    }
}
