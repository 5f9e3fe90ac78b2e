using ContextNets.Autograd;
using ContextNets.Models;
using ContextNets.Models.Video;
using ContextNets.NN;
using ContextNets.Tests.Reference;
using ContextNets.Tests.Support;

namespace ContextNets.Tests.Models.Video;

/// <summary>
/// Inflation of a 2-D zoo ResNet-50 into the NL paper's video networks: a static clip (one image repeated over time)
/// through the inflated C2D gives the 2-D network's logits; the I3D's kernels are the 2-D ones spread over time, so its
/// 5x7x7 conv1 answers a static clip with the 2-D conv1's map on every frame its temporal kernel does not overhang.
/// </summary>
public class InflationTests
{
    private const int Frames = 4, Side = 32;

    [Fact]
    public void AStaticClipThroughTheInflatedC2dGivesThe2dLogits()
    {
        using var scope = Tensor.Scope();
        using var net2d = Zoo.Create("resnet50", 10, seed: 1);
        NonTrivialStatistics(net2d);
        using var video = Uninitialized("c2d_resnet50");
        Assert.Empty(Inflation.Inflate(net2d.StateDict(), video));
        net2d.Eval();
        video.Eval();
        using var noGrad = GradMode.NoGrad();
        var image = Tensor.Randn([1, 3, Side, Side], 5);
        var expected = RefTensor.From(net2d.Forward(image));
        Check.Close(expected, video.Forward(Static(image, Frames)), what: "c2d_resnet50 on a static clip vs resnet50");
    }

    [Fact]
    public void TheInflatedI3dConv1AnswersAStaticClipWithThe2dMapAwayFromTheBorders()
    {
        using var scope = Tensor.Scope();
        using var net2d = Zoo.Create("resnet50", 10, seed: 1);
        using var video = Uninitialized("i3d_resnet50");
        var state = net2d.StateDict();
        Assert.Empty(Inflation.Inflate(state, video));
        var w3 = video.StateDict()["conv1.weight"];
        Assert.Equal([64, 3, 5, 7, 7], w3.Shape.Dims.ToArray());
        using var noGrad = GradMode.NoGrad();
        var image = Tensor.Randn([1, 3, Side, Side], 5);
        var map2d = RefTensor.From(F.Conv2d(image, state["conv1.weight"], null, 2, 3));
        const int frames = 7;
        var clip = RefTensor.From(F.Conv3d(Static(image, frames), w3, null, (1, 2, 2), (2, 3, 3), (1, 1, 1)));
        // Frames 2..4 see all five taps; the outer ones see zero padding for some, as in the paper's I3D.
        int plane = map2d.Shape[2] * map2d.Shape[3];
        for (int t = 2; t < frames - 2; t++)
        {
            var frame = new RefTensor(map2d.Shape);
            for (int c = 0; c < 64; c++)
                Array.Copy(clip.Data, (c * frames + t) * plane, frame.Data, c * plane, plane);
            Check.Close(map2d, frame, what: $"i3d conv1 frame {t} of a static clip vs resnet50 conv1");
        }
    }

    [Fact]
    public void ALayerOfAnotherShapeIsRefused()
    {
        using var skip = Initializers.SkipRandom();
        using var net2d = Zoo.Create("resnet18", 10);
        using var video = VideoZoo.Create("c2d_resnet50", 10);
        var ex = Assert.Throws<ArgumentException>(() => Inflation.Inflate(net2d.StateDict(), video));
        Assert.Contains("not the same layer", ex.Message);
    }

    /// <summary>The video network without its random initialization, which the inflation overwrites.</summary>
    private static Module Uninitialized(string name)
    {
        using var skip = Initializers.SkipRandom();
        return VideoZoo.Create(name, 10);
    }

    private static Tensor Static(Tensor image, int frames)
    {
        var src = image.ToArray();
        int c = image.Shape[1], plane = image.Shape[2] * image.Shape[3];
        var data = new float[c * frames * plane];
        for (int ch = 0; ch < c; ch++)
        for (int t = 0; t < frames; t++)
            Array.Copy(src, ch * plane, data, (ch * frames + t) * plane, plane);
        return Tensor.FromArray(data, 1, c, frames, image.Shape[2], image.Shape[3]);
    }

    private static void NonTrivialStatistics(Module net)
    {
        var rng = new Random(3);
        foreach (var (key, buffer) in net.NamedBuffers())
        {
            var span = buffer.Span;
            if (key.EndsWith("running_mean", StringComparison.Ordinal))
                for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
            else if (key.EndsWith("running_var", StringComparison.Ordinal))
                for (int i = 0; i < span.Length; i++) span[i] = 0.5f + (float)rng.NextDouble();
        }
    }
}
