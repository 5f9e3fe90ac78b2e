using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Detection.Backbone;

/// <summary>
/// A zoo ResNet without its classifier, as torchvision's IntermediateLayerGetter keeps it for a detector: the stem
/// (`conv1`, `bn1`, max pool) and `layer1`..`layer4`, whose outputs C2..C5 feed the FPN. Its BatchNorms are frozen
/// (torchvision's FrozenBatchNorm2d), and the stem and `layer1` are not trained, as maskrcnn_resnet50_fpn's default
/// of three trainable layers has it. Any attention block of the zoo model stays where the zoo puts it.
/// </summary>
public sealed class ResNetBody : Module
{
    private readonly Module _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly MaxPool2d? _maxpool;
    private readonly Sequential[] _stages;

    /// <summary>Takes over the stem and stages of <paramref name="resnet"/> and frees its classifier.</summary>
    public ResNetBody(ResNet resnet, int trainableLayers = 3)
    {
        ArgumentNullException.ThrowIfNull(resnet);
        if (resnet.Stages.Count != 4) throw new ArgumentException($"A detector body needs a ResNet of 4 stages, this one has {resnet.Stages.Count}.");
        if (trainableLayers is < 0 or > 5) throw new ArgumentException($"Trainable layers must be 0..5, got {trainableLayers}.");
        _conv1 = Register("conv1", resnet.StemConv);
        _bn1 = Register("bn1", resnet.StemNorm);
        if (resnet.StemPool is { } pool) _maxpool = Register("maxpool", pool);
        _stages = new Sequential[4];
        for (int s = 0; s < 4; s++) _stages[s] = Register($"layer{s + 1}", resnet.Stages[s]);
        resnet.Classifier?.Dispose();
        StageChannels = [.. Enumerable.Range(0, 4).Select(s => resnet.Config.Channels[s] * resnet.Config.Expansion)];
        foreach (var (_, m) in NamedModules())
            if (m is BatchNorm2d bn) bn.Freeze();
        FreezeLayers(trainableLayers);
    }

    /// <summary>The channels of C2..C5.</summary>
    public IReadOnlyList<int> StageChannels { get; }

    public override Tensor Forward(Tensor x) => ForwardStages(x)[^1];

    /// <summary>The outputs of `layer1`..`layer4` (strides 4, 8, 16, 32).</summary>
    public Tensor[] ForwardStages(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != 3) throw new ArgumentException($"The detector body expects images [N, 3, H, W], got {x.Shape}.");
        x = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        if (_maxpool is not null) x = _maxpool.Forward(x);
        var outputs = new Tensor[4];
        for (int s = 0; s < 4; s++) outputs[s] = x = _stages[s].Forward(x);
        return outputs;
    }

    /// <summary>torchvision's layers_to_train: of layer4, layer3, layer2, layer1, conv1 (with bn1), the first n train.</summary>
    private void FreezeLayers(int trainableLayers)
    {
        string[] order = ["layer4", "layer3", "layer2", "layer1", "conv1"];
        var trained = order.Take(trainableLayers).ToList();
        if (trainableLayers == 5) trained.Add("bn1");
        foreach (var (name, p) in NamedParameters())
            if (!trained.Exists(t => name.StartsWith(t + ".", StringComparison.Ordinal) || name == t)) p.RequiresGrad = false;
    }
}
