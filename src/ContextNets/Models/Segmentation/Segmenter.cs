using ContextNets.Autograd;
using ContextNets.Models.Outputs;
using ContextNets.NN;

namespace ContextNets.Models.Segmentation;

/// <summary>The head on a segmenter's last feature map.</summary>
public enum SegmentationHead
{
    /// <summary>torchvision's FCNHead.</summary>
    Fcn,

    /// <summary>torchvision's DeepLabHead: ASPP at rates 12, 24, 36, then a 3x3 conv-BN-ReLU and the classifier.</summary>
    DeepLabV3,

    /// <summary>CCNet's RCCA head: reduce, criss-cross attention twice with shared weights, refine, bottleneck over the concatenation.</summary>
    CcNet,
}

/// <summary>
/// torchvision's SimpleSegmentationModel (FCN, DeepLabV3, and CCNet's head in the same frame) on any ResNet-family body of the zoo: `backbone` (the headless
/// body, dilated to output stride 8 as torchvision's fcn_resnet50 and deeplabv3_resnet50 build it), `classifier` (the
/// head on the last stage) and, optionally, `aux_classifier` (an FCNHead on the stage before it). Forward gives the
/// class scores [N, K, H, W] at the input's size by bilinear upsampling (align_corners False), as torchvision's `out`.
/// </summary>
public sealed class Segmenter : Module, IOutputModel
{
    private readonly ResNet _backbone;
    private readonly Module _classifier;
    private readonly Sequential? _aux;

    public Segmenter(ResNet backbone, SegmentationHead head, int classes, bool aux)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (classes < 1) throw new ArgumentException($"A segmenter needs at least one class, got {classes}.");
        if (backbone.Classifier is not null) throw new ArgumentException("A segmenter's backbone is a headless body (0 classes): see Zoo.CreateBackbone.");
        if (backbone.Features.Count < 3) throw new ArgumentException("A segmenter's backbone needs at least two stages.");
        Classes = classes;
        Head = head;
        _backbone = Register("backbone", backbone);
        int last = backbone.Features[^1].Channels;
        _classifier = Register<Module>("classifier", head switch
        {
            SegmentationHead.Fcn => SegmentationHeads.Fcn(last, classes),
            SegmentationHead.DeepLabV3 => SegmentationHeads.DeepLab(last, classes),
            _ => new CcNetHead(last, classes),
        });
        if (aux) _aux = Register("aux_classifier", SegmentationHeads.Fcn(backbone.Features[^2].Channels, classes));
    }

    public int Classes { get; }
    public SegmentationHead Head { get; }
    public ResNet Backbone => _backbone;
    public Module Classifier => _classifier;
    public bool HasAux => _aux is not null;

    /// <summary>Class scores [N, K, H, W] at the input's size (torchvision's `out`).</summary>
    public override Tensor Forward(Tensor x) => ForwardWithAux(x).Out;

    /// <summary>`out` and, with an aux head, `aux` (scores from the stage before the last, also at the input's size; null without).</summary>
    public (Tensor Out, Tensor? Aux) ForwardWithAux(Tensor x)
    {
        int h = x.Shape[2], w = x.Shape[3], stages = _backbone.Features.Count - 1;
        var maps = _backbone.ForwardFeatureMaps(x, _aux is null ? [stages] : [stages - 1, stages]);
        var output = F.UpsampleBilinear(_classifier.Forward(maps[^1]), h, w);
        var aux = _aux is null ? null : F.UpsampleBilinear(_aux.Forward(maps[0]), h, w);
        return (output, aux);
    }

    /// <summary>The eval-mode `out` (and `aux` when there is an aux head); call <see cref="Module.Eval"/> first.</summary>
    public ModelOutputs Run(Tensor input)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var (output, aux) = ForwardWithAux(input);
        var result = new ModelOutputs().Add(OutputNames.Out, scope.Disown(output));
        if (aux is not null) result.Add("aux", scope.Disown(aux));
        return result;
    }
}
