using ContextNets.Models.Outputs;
using ContextNets.NN;

namespace ContextNets.Models;

/// <summary>
/// The ResNet family (ResNet, ResNet-D, ResNeXt, ResNeSt, CIFAR ResNets, and attention variants through the
/// hooks of <see cref="ResNetConfig"/>) with torchvision/timm state-dict keys: `conv1` (a conv, or for the deep
/// stems a Sequential with convs at 0, 3, 6 and BNs at 1, 4), `bn1`, `layer1`..`layerN` (Sequentials of blocks),
/// `fc`. Forward: stem, max pool (not for CIFAR), stages, global average pool, fc.
/// As a backbone (timm's features_only) it gives the stem's and every stage's output in one pass
/// (<see cref="ForwardFeatureMaps"/>, described by <see cref="Features"/>); a config with no classes has no `fc`, and
/// <see cref="ResNetConfig.ReplaceStrideWithDilation"/> trades the last stages' strides for dilation.
/// </summary>
public sealed class ResNet : Module, IOutputModel, IPreparable, INoiseSource
{
    private readonly Module _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly MaxPool2d? _maxpool;
    private readonly Sequential[] _stages;
    private readonly Linear? _fc;
    private Rng? _noise;

    public ResNet(ResNetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        int inplanes = StemChannels(config);
        _conv1 = Register("conv1", Stem(config, inplanes));
        _bn1 = Register("bn1", ConvInit.Norm(inplanes));
        if (config.Stem is not (StemType.Cifar or StemType.DeepTieredNoPool)) _maxpool = Register("maxpool", new MaxPool2d(3, 2, 1));
        _stages = new Sequential[config.Layers.Count];
        var features = new List<FeatureInfo> { new(0, "act1", inplanes, config.StemFeatureReduction) };
        int dilation = 1, reduction = config.StemReduction;
        for (int s = 0; s < _stages.Length; s++)
        {
            int planes = config.Channels[s], depth = config.Layers[s];
            int stageStride = s > 0 ? 2 : 1, previousDilation = dilation;
            // torchvision's _make_layer: a dilated stage multiplies the dilation by the stride it gives up.
            if (s > 0 && config.ReplaceStrideWithDilation?[s - 1] == true)
                (dilation, stageStride) = (dilation * stageStride, 1);
            reduction *= stageStride;
            var stage = new Sequential();
            for (int b = 0; b < depth; b++)
            {
                var site = new BlockSite(s + 1, b, depth, planes * config.Expansion);
                var blockDilation = new BlockDilation(b == 0 ? previousDilation : dilation, dilation);
                stage.Add(Block(config, inplanes, planes, b == 0 ? stageStride : 1, blockDilation, site));
                inplanes = planes * config.Expansion;
            }
            _stages[s] = Register($"layer{s + 1}", stage);
            features.Add(new FeatureInfo(s + 1, $"layer{s + 1}", inplanes, reduction));
        }
        Features = features;
        if (config.NumClasses > 0) _fc = Register("fc", new Linear(config.FeatureChannels, config.NumClasses));
    }

    public ResNetConfig Config { get; }

    /// <summary>The stem's `conv1`: one conv, or for the deep stems a Sequential of convs, BNs and ReLUs.</summary>
    public Module StemConv => _conv1;

    /// <summary>The stem's `bn1`, after <see cref="StemConv"/>.</summary>
    public BatchNorm2d StemNorm => _bn1;

    /// <summary>The stem's `maxpool`; none for the CIFAR and tiered stems without one.</summary>
    public MaxPool2d? StemPool => _maxpool;

    /// <summary>
    /// DropBlock (Ghiasi et al. 2018) in training on the outputs of the last two stages, with timm's settings for
    /// them: blocks of 5 (gamma scale 0.25), then of 3 (gamma scale 1), each clipped to the map. This is the drop
    /// probability; 0 (the default) turns it off. It has no weights, so it is a setting of the model, not of its config.
    /// </summary>
    public float DropBlockRate
    {
        get;
        set => field = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The DropBlock rate is a probability in [0, 1).");
    }

    /// <inheritdoc/>
    public void SeedNoise(long seed) => _noise = Rng.For(seed, 0);

    /// <summary>The stages `layer1`..`layerN`, each a Sequential of residual blocks.</summary>
    public IReadOnlyList<Sequential> Stages => _stages;

    /// <summary>The classifier `fc`; null for a headless body (<see cref="ResNetConfig.NumClasses"/> 0).</summary>
    public Linear? Classifier => _fc;

    /// <summary>
    /// The feature maps <see cref="ForwardFeatureMaps"/> can give, by index (timm's feature_info): 0 the stem, 1..N the stages.
    /// </summary>
    public IReadOnlyList<FeatureInfo> Features { get; }

    /// <summary>Images [N, InChannels, H, W] to logits [N, NumClasses].</summary>
    public override Tensor Forward(Tensor x) => ForwardHead(ForwardFeatures(x));

    /// <summary>The last stage's feature map [N, FeatureChannels, H/32, W/32] (H/4 for CIFAR; less reduced where dilated).</summary>
    public Tensor ForwardFeatures(Tensor x) => ForwardFeatureMaps(x, [_stages.Length])[0];

    /// <summary>
    /// timm's features_only forward: the feature maps of <paramref name="outIndices"/> (indices into <see cref="Features"/>,
    /// in increasing order; all of them when null), from one pass that stops after the last one asked for. The maps
    /// are recorded for backward like any forward.
    /// </summary>
    public Tensor[] ForwardFeatureMaps(Tensor x, IReadOnlyList<int>? outIndices = null)
    {
        if (x.Rank != 4 || x.Shape[1] != Config.InChannels)
            throw new ArgumentException($"ResNet expects images [N, {Config.InChannels}, H, W], got {x.Shape}.");
        outIndices ??= [.. Features.Select(f => f.Index)];
        for (int i = 0; i < outIndices.Count; i++)
            if ((uint)outIndices[i] > (uint)_stages.Length || (i > 0 && outIndices[i] <= outIndices[i - 1]))
                throw new ArgumentException($"out_indices [{string.Join(", ", outIndices)}] must increase within [0, {_stages.Length}] (0 is the stem, {_stages.Length} the last stage).");
        if (outIndices.Count == 0) return [];
        var maps = new List<Tensor>(outIndices.Count);
        x = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        if (outIndices[0] == 0) maps.Add(x);
        for (int s = 0; s < outIndices[^1]; s++)
        {
            if (s == 0 && _maxpool is not null) x = _maxpool.Forward(x);
            x = _stages[s].Forward(x);
            int fromLast = _stages.Length - 1 - s;
            if (fromLast < 2 && DropBlockRate > 0)
                x = F.DropBlock(x, DropBlockRate, Training, fromLast == 1 ? 5 : 3, fromLast == 1 ? 0.25f : 1f, (long?)_noise?.NextUInt64());
            if (outIndices.Contains(s + 1)) maps.Add(x);
        }
        return [.. maps];
    }

    /// <summary>
    /// A snapshot of this model for inference, with BatchNorm folded into the convolutions and ReLU and residual sums
    /// fused (<see cref="Inference.InferenceModel"/>); its Predict is safe to call from several threads at once.
    /// </summary>
    public Inference.InferenceModel Prepare(Inference.InferenceOptions? options = null) => new(this, options);

    /// <summary>The eval-mode logits as the output `logits` (<see cref="OutputNames"/>); call <see cref="Module.Eval"/> first.</summary>
    public ModelOutputs Run(Tensor input) => ModelOutputs.Classifier(input, Forward);

    IPreparedModel IPreparable.PrepareForRun() => Prepare();

    /// <summary>Global average pool and the classifier: [N, C, H, W] to [N, NumClasses].</summary>
    public Tensor ForwardHead(Tensor features)
    {
        if (_fc is null) throw new InvalidOperationException("This ResNet is a headless body (0 classes): it has no classifier; use ForwardFeatureMaps.");
        return _fc.Forward(F.Reshape(F.GlobalAvgPool2d(features), features.Shape[0], features.Shape[1]));
    }

    private static ResidualBlock Block(ResNetConfig c, int inplanes, int planes, int stride, BlockDilation dilation, BlockSite site) => c.Block switch
    {
        BlockType.Bottleneck => new Bottleneck(inplanes, planes, stride, dilation, c, site),
        BlockType.SelectiveKernelBasic => new SelectiveKernelBasic(inplanes, planes, stride, dilation, c, site),
        BlockType.SelectiveKernelBottleneck => new SelectiveKernelBottleneck(inplanes, planes, stride, dilation, c, site),
        _ => new BasicBlock(inplanes, planes, stride, dilation, c, site),
    };

    private static int StemChannels(ResNetConfig c) => c.Stem is StemType.Default or StemType.Cifar ? c.StemWidth : 2 * c.StemWidth;

    private static Module Stem(ResNetConfig c, int outChannels)
    {
        switch (c.Stem)
        {
            case StemType.Default:
                return ConvInit.Conv(c.InChannels, outChannels, 7, 2);
            case StemType.Cifar:
                return ConvInit.Conv(c.InChannels, outChannels, 3);
            default:
                int first = c.Stem == StemType.Deep ? c.StemWidth : 3 * (c.StemWidth / 4);
                int lastStride = c.Stem == StemType.DeepTieredNoPool ? 2 : 1;
                return new Sequential(
                    ConvInit.Conv(c.InChannels, first, 3, 2), ConvInit.Norm(first), Lambda.Relu(),
                    ConvInit.Conv(first, c.StemWidth, 3), ConvInit.Norm(c.StemWidth), Lambda.Relu(),
                    ConvInit.Conv(c.StemWidth, outChannels, 3, lastStride));
        }
    }
}
