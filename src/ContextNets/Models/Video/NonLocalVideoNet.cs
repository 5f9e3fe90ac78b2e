using ContextNets.Models.Outputs;
using ContextNets.NN;

namespace ContextNets.Models.Video;

/// <summary>
/// The Non-local paper's C2D / I3D ResNet-50 for clips [N, 3, T, H, W], as video-nonlocal-net builds it: conv1
/// kt x 7 x 7 with stride (1, 2, 2), BN, ReLU, a 1x3x3 max pool with stride (1, 2, 2) and padding (0, 1, 1); res2
/// (`layer1`); the temporal max pool 2x1x1 with stride 2; res3-res5 (`layer2`..`layer4`, spatial stride 2 each);
/// the global average pool and `fc`. Temporal kernels, NL and GC placements come from <see cref="VideoNetSpec"/>.
/// The pool1 padding is torchvision's and PySlowFast's (the Caffe2 code pads 0, giving 55 in place of 56 at 224):
/// with it a 2-D ResNet-50 checkpoint inflates into a network whose frames see exactly the 2-D network's maps.
/// </summary>
public sealed class NonLocalVideoNet : Module, IOutputModel
{
    private readonly Conv3d _conv1;
    private readonly BatchNorm3d _bn1;
    private readonly Sequential[] _layers;
    private readonly Linear _fc;

    public NonLocalVideoNet(VideoNetSpec spec, int numClasses, int inChannels = 3)
    {
        Spec = spec;
        if (spec.Depths.Count != 4 || spec.Depths.Select((d, s) => d < 1 || d > VideoNetSpec.ResNet50Depths[s]).Any(bad => bad))
            throw new ArgumentException($"{spec.Name}: four stages of 1 to ResNet-50's blocks each, not [{string.Join(", ", spec.Depths)}].");
        _conv1 = Register("conv1", VideoLayers.Conv((inChannels, spec.Width), (spec.StemTemporalKernel, 7, 7), (1, 2, 2), (spec.StemTemporalKernel / 2, 3, 3)));
        _bn1 = Register("bn1", VideoLayers.Norm(spec.Width));
        int inPlanes = spec.Width;
        _layers = new Sequential[4];
        for (int s = 0; s < 4; s++)
        {
            var blocks = new Sequential();
            for (int b = 0; b < spec.Depths[s]; b++)
            {
                int planes = spec.Width << s;
                blocks.Add(new VideoBottleneck(inPlanes, planes, b == 0 && s > 0 ? 2 : 1, spec.TemporalKernel(s, b), spec.Extra(s, b)));
                inPlanes = planes * VideoBottleneck.Expansion;
            }
            _layers[s] = Register($"layer{s + 1}", blocks);
        }
        _fc = Register("fc", VideoLayers.Classifier(inPlanes, numClasses));
        NumClasses = numClasses;
    }

    public VideoNetSpec Spec { get; }
    public int NumClasses { get; }

    /// <summary>The NL blocks in order of depth (empty for C2D, I3D and the GC network).</summary>
    public IEnumerable<Attention.NonLocal> NonLocalBlocks =>
        _layers.SelectMany(l => Enumerable.Range(0, l.Count).Select(i => ((VideoBottleneck)l[i]).NonLocalBlock)).OfType<Attention.NonLocal>();

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 5) throw new ArgumentException($"A video network takes clips [N, C, T, H, W], got {x.Shape}.");
        if (x.Shape[2] < 2) throw new ArgumentException($"{Spec.Name} pools time by 2 after res2 and needs clips of at least 2 frames, got {x.Shape}.");
        var h = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        h = F.MaxPool3d(h, (1, 3, 3), (1, 2, 2), (0, 1, 1));
        h = _layers[0].Forward(h);
        h = F.MaxPool3d(h, (2, 1, 1), (2, 1, 1));
        for (int s = 1; s < 4; s++) h = _layers[s].Forward(h);
        return _fc.Forward(F.Reshape(F.GlobalAvgPool3d(h), h.Shape[0], h.Shape[1]));
    }

    public ModelOutputs Run(Tensor input) => ModelOutputs.Classifier(input, Forward);
}
