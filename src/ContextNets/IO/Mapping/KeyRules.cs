namespace ContextNets.IO.Mapping;

/// <summary>
/// The rewrite tables, applied top to bottom to every key (a key no rule matches is kept). They were written from
/// the modules that produce the checkpoints: mmcv's cnn/bricks/context_block.py and non_local.py, mmdet's
/// backbones/resnet.py (plugins, ResNetV1d stem) and layers/res_layer.py, mmcls's LinearClsHead; ResNeSt's
/// resnest/torch/models/{resnet,splat}.py against timm's resnest.py and layers/split_attn.py.
/// </summary>
public static class KeyRules
{
    private static readonly KeyRule DataParallel = new("^module\\.", [""], "DataParallel and DistributedDataParallel save every key under `module.`");

    public static readonly IReadOnlyList<KeyRule> Timm = [DataParallel];

    /// <summary>
    /// ResNeSt's official torch models name their modules as timm's port does: the deep stem conv1.{0,1,3,4,6} and
    /// bn1, conv2 = SplAtConv2d {conv, bn0, fc1, bn1, fc2} (rsoftmax and avd_layer have no parameters), avg-down
    /// shortcuts downsample.{1,2} behind a parameterless pool, fc. Nothing to rewrite beyond the prefix.
    /// </summary>
    public static readonly IReadOnlyList<KeyRule> ResNeSt = Timm;

    public static readonly IReadOnlyList<KeyRule> Mmcv =
    [
        DataParallel,
        new("^backbone\\.", [""], "mmdet detectors and mmcls classifiers keep the ResNet under `backbone`"),
        new("^head\\.fc\\.", ["fc."], "mmcls LinearClsHead is our classifier `fc`"),
        new("^stem\\.([01346])\\.", ["conv1.${1}."], "mmdet ResNetV1d deep stem: convs 0, 3, 6 and BNs 1, 4 are our conv1 Sequential"),
        new("^stem\\.7\\.", ["bn1."], "mmdet ResNetV1d deep stem: its last BN is our bn1"),
        new("^(layer\\d+\\.\\d+)\\.context_block\\.", ["${1}.se.", "${1}.attn."],
            "mmdet plugin ContextBlock: position after_conv3 is our `se` (after bn3), after_conv2 our `attn`"),
        new("^(layer\\d+\\.\\d+)\\.nonlocal_block\\.", ["${1}.se.", "${1}.attn."],
            "mmdet plugin NonLocal2d: position after_conv3 is our `se`, after_conv2 our `attn`"),
        new("(^|\\.)conv_mask\\.", ["${1}conv_attn."], "ContextBlock: the attention-pooling 1x1 conv"),
        new("(^|\\.)channel_add_conv\\.0\\.", ["${1}mlp_add.fc1."], "ContextBlock channel_add: Conv2d(C, p)"),
        new("(^|\\.)channel_add_conv\\.1\\.", ["${1}mlp_add.norm."], "ContextBlock channel_add: LayerNorm([p, 1, 1]), parameters [p, 1, 1] to [p]", squeeze: true),
        new("(^|\\.)channel_add_conv\\.3\\.", ["${1}mlp_add.fc2."], "ContextBlock channel_add: Conv2d(p, C) (2 is the ReLU)"),
        new("(^|\\.)channel_mul_conv\\.0\\.", ["${1}mlp_scale.fc1."], "ContextBlock channel_mul: Conv2d(C, p)"),
        new("(^|\\.)channel_mul_conv\\.1\\.", ["${1}mlp_scale.norm."], "ContextBlock channel_mul: LayerNorm([p, 1, 1]), parameters [p, 1, 1] to [p]", squeeze: true),
        new("(^|\\.)channel_mul_conv\\.3\\.", ["${1}mlp_scale.fc2."], "ContextBlock channel_mul: Conv2d(p, C)"),
        new("(^|\\.)(g|phi)\\.0\\.conv\\.", ["${1}${2}."], "NonLocal2d sub_sample: g and phi become Sequential(ConvModule, MaxPool2d)"),
        new("(^|\\.)(g|theta|phi|conv_out|concat_project)\\.conv\\.", ["${1}${2}."], "NonLocal2d: each 1x1 conv is a ConvModule's `conv`"),
        new("(^|\\.)conv_out\\.bn\\.", ["${1}norm."], "NonLocal2d with norm_cfg BN: ConvModule's `bn` after W_z is our `norm`"),
    ];

    public static IReadOnlyList<KeyRule> For(KeyConvention convention) => convention switch
    {
        KeyConvention.Timm => Timm,
        KeyConvention.Mmcv => Mmcv,
        KeyConvention.ResNeSt => ResNeSt,
        _ => throw new ArgumentException($"No rule table for {convention}: detect the convention first."),
    };
}
