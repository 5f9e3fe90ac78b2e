using ContextNets.Autograd;
using ContextNets.Detection.Backbone;
using ContextNets.Detection.Boxes;
using ContextNets.Detection.Heads;
using ContextNets.Detection.Rpn;
using ContextNets.Detection.Training;
using ContextNets.Detection.Transform;
using ContextNets.Models;
using ContextNets.Models.Outputs;
using ContextNets.NN;

namespace ContextNets.Detection;

/// <summary>
/// Mask R-CNN with FPN as torchvision 0.14's maskrcnn_resnet50_fpn builds it, on any ResNet-family body of the zoo:
/// `backbone` (body + fpn), `rpn` and `roi_heads` under torchvision's keys, with the image transform in front and
/// the mapping of boxes and masks back to each input image behind.
/// </summary>
public sealed class MaskRcnn : Module, IOutputModel
{
    private readonly DetectionBackbone _backbone;
    private readonly RegionProposalNetwork _rpn;
    private readonly RoiHeads _roiHeads;

    public MaskRcnn(ResNet body, int numClasses, DetectorSettings? settings = null)
    {
        Settings = settings ?? new DetectorSettings();
        Transform = new ImageTransform(Settings.MinSize, Settings.MaxSize);
        _backbone = Register("backbone", new DetectionBackbone(body));
        _rpn = Register("rpn", new RegionProposalNetwork(_backbone.OutChannels, AnchorGenerator.Fpn(), Settings));
        _roiHeads = Register("roi_heads", new RoiHeads(_backbone.OutChannels, numClasses, Settings));
    }

    public DetectorSettings Settings { get; }
    public ImageTransform Transform { get; }
    public DetectionBackbone Backbone => _backbone;
    public RegionProposalNetwork Rpn => _rpn;
    public RoiHeads RoiHeads => _roiHeads;
    public int NumClasses => _roiHeads.NumClasses;

    /// <summary>The finest FPN level of a padded batch, as a Module's single-tensor forward; <see cref="Detect"/> is the detector's.</summary>
    public override Tensor Forward(Tensor x) => _backbone.Forward(x);

    /// <summary>
    /// The detections of each image [3, H, W] (values in [0, 1]) in its own coordinates, masks pasted at its size,
    /// in inference (no gradient is recorded; call <see cref="Module.Eval"/> first).
    /// </summary>
    public List<Detections> Detect(IReadOnlyList<Tensor> images)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var (batch, sizes) = Transform.Apply(images);
        var levels = _backbone.ForwardLevels(batch);
        var outputs = _rpn.Run(levels, batch.Shape[2], batch.Shape[3]);
        var proposals = _rpn.Propose(outputs, sizes, training: false);
        var detections = _roiHeads.Detect(levels[..4], proposals, sizes);
        for (int n = 0; n < detections.Count; n++)
        {
            var d = detections[n];
            var original = (h: images[n].Shape[1], w: images[n].Shape[2]);
            ImageTransform.ScaleBoxes(d.Boxes, sizes[n], original);
            d.Masks = MaskPaste.Paste(d.Masks, d.MaskHeight, d.Boxes, original.h, original.w);
            (d.MaskHeight, d.MaskWidth) = original;
        }
        return detections;
    }

    /// <summary>
    /// torchvision's training forward: the five losses of images [3, H, W] in [0, 1] against their targets (at each
    /// image's own size; resized with it), recorded for backward. Call <see cref="Module.Train"/> first; the frozen
    /// BatchNorms of the body stay in eval mode.
    /// </summary>
    public DetectionLosses Losses(IReadOnlyList<Tensor> images, IReadOnlyList<DetectionTarget> targets, DetectionSamplers samplers)
    {
        ArgumentNullException.ThrowIfNull(samplers);
        if (images.Count != targets.Count) throw new ArgumentException($"{images.Count} images come with {targets.Count} targets.");
        var (batch, sizes) = Transform.Apply(images);
        var resized = new DetectionTarget[targets.Count];
        for (int n = 0; n < targets.Count; n++)
        {
            if ((targets[n].Height, targets[n].Width) != (images[n].Shape[1], images[n].Shape[2]))
                throw new ArgumentException($"Target {n} is for a {targets[n].Height}x{targets[n].Width} image, but image {n} is {images[n].Shape[1]}x{images[n].Shape[2]}.");
            resized[n] = targets[n].Resized(sizes[n]);
        }
        var levels = _backbone.ForwardLevels(batch);
        var outputs = _rpn.Run(levels, batch.Shape[2], batch.Shape[3]);
        var proposals = _rpn.Propose(outputs, sizes, training: true);
        var (objectness, rpnBoxReg) = RpnLoss.Compute(outputs, resized, samplers.Rpn, Settings);
        var (classifier, boxReg, mask) = RoiHeadsLoss.Compute(_roiHeads, levels[..4], proposals, resized, sizes, samplers.Box);
        return new DetectionLosses(classifier, boxReg, mask, objectness, rpnBoxReg);
    }

    /// <summary>`boxes`, `scores`, `labels` (int64) and `masks` [K, 1, H, W] for one image `x` [3, H, W] in [0, 1].</summary>
    public ModelOutputs Run(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var d = Detect([input])[0];
        return new ModelOutputs()
            .Add(OutputNames.Boxes, Unscoped(d.Boxes, d.Count, 4))
            .Add(OutputNames.Scores, Unscoped(d.Scores, d.Count))
            .Add(OutputNames.Labels, Unscoped([.. d.Labels.Select(l => (float)l)], d.Count), OutputType.Int64)
            .Add(OutputNames.Masks, Unscoped(d.Masks, d.Count, 1, d.MaskHeight, d.MaskWidth));
    }

    private static Tensor Unscoped(float[] values, params int[] shape)
    {
        var t = Tensor.EmptyUnscoped(new Shape(shape));
        values.CopyTo(t.Span);
        return t;
    }
}
