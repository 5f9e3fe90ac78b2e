using ContextNets.Detection.Backbone;
using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Detection;

/// <summary>
/// The detectors by name: `maskrcnn_resnet50_fpn` (torchvision's), `gc_maskrcnn_resnet50_fpn` (GCNet's: the zoo's
/// gcresnet50 as the body, GC blocks under `backbone.body.layerL.B.se`), and `maskrcnn_NAME_fpn` for any ImageNet
/// ResNet-family model NAME of the zoo (resnest50d, nlresnet50, seresnet50, ...), its attention blocks included; and
/// `gc_maskrcnn_resnet18_fpn` and `nl_maskrcnn_resnet18_fpn` for GCNet's ablation on the generated scenes.
/// </summary>
public static class DetectionZoo
{
    private const string Prefix = "maskrcnn_", Suffix = "_fpn";

    /// <summary>
    /// GCNet's ablation at the scale of the generated scenes: ResNet-18 bodies with GC r16 in c3-c5 (after each
    /// block's last conv and norm) or one NL block in res4, which the ImageNet zoo does not name.
    /// </summary>
    private static readonly Dictionary<string, Func<ResNetConfig>> AblationBodies = new()
    {
        ["gc_maskrcnn_resnet18_fpn"] = () => ZooImageNet.WithPaperGc(ResNets.ResNet18(0), 16),
        ["nl_maskrcnn_resnet18_fpn"] = () => ZooImageNet.WithPaperNonLocal(ResNets.ResNet18(0)),
    };

    /// <summary>Every detector name, torchvision's and GCNet's first.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["maskrcnn_resnet50_fpn", "gc_maskrcnn_resnet50_fpn",
         .. Zoo.Names.Where(IsDetectorBody).Where(n => n != "resnet50").Select(n => Prefix + n + Suffix),
         .. AblationBodies.Keys];

    public static bool Contains(string name) => Names.Contains(name);

    /// <summary>The zoo model that is the body of detector <paramref name="name"/> (the ablation detectors have none).</summary>
    public static string BodyOf(string name)
    {
        if (name == "gc_maskrcnn_resnet50_fpn") return "gcresnet50";
        if (AblationBodies.ContainsKey(name)) throw new ArgumentException($"{name}'s body is a ResNet-18 with attention that the zoo does not name.");
        if (name.StartsWith(Prefix, StringComparison.Ordinal) && name.EndsWith(Suffix, StringComparison.Ordinal))
        {
            string body = name[Prefix.Length..^Suffix.Length];
            if (Zoo.Contains(body) && IsDetectorBody(body)) return body;
        }
        throw new ArgumentException($"No detector named '{name}'. Known detectors: {string.Join(", ", Names)}.");
    }

    /// <summary>
    /// The zoo classifier whose weights fit the body of detector <paramref name="name"/> (its stem, stages and
    /// BatchNorms): the body itself, or resnet18 for the ablation detectors, whose attention blocks then start anew.
    /// </summary>
    public static string PretrainedBodyOf(string name) => AblationBodies.ContainsKey(name) ? "resnet18" : BodyOf(name);

    /// <summary>
    /// A detector of <paramref name="numClasses"/> classes (background included, as torchvision counts them), its
    /// weights depending on <paramref name="seed"/> alone. Its body is made for pretrained weights (frozen BatchNorm, three
    /// trainable stages) unless <paramref name="fromScratch"/>, which trains every layer and its BatchNorms.
    /// </summary>
    public static MaskRcnn Create(string name, int numClasses, DetectorSettings? settings = null, int seed = Zoo.DefaultSeed, bool fromScratch = false)
    {
        using var seeded = Initializers.Seeded(seed);
        var resnet = AblationBodies.TryGetValue(name, out var config) ? CreateBody(config(), seed) : Zoo.CreateBackbone(BodyOf(name), seed: seed);
        return new MaskRcnn(fromScratch ? DetectorBody.Prepare(resnet, 5, trainNorms: true) : DetectorBody.Prepare(resnet), numClasses, settings);
    }

    /// <summary>An ablation body, seeded as <see cref="Zoo.CreateBackbone"/> seeds a zoo body.</summary>
    private static ResNet CreateBody(ResNetConfig config, int seed)
    {
        using var seeded = Initializers.Seeded(seed);
        return new ResNet(config);
    }

    /// <summary>A body needs four stages at strides 4..32 from 3-channel images: the ImageNet ResNets, not the CIFAR ones.</summary>
    private static bool IsDetectorBody(string name)
    {
        var config = Zoo.Config(name);
        return config.Layers.Count == 4 && config.InChannels == 3 && config.Stem != StemType.Cifar;
    }
}
