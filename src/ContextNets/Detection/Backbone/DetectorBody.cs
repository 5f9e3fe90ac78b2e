using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Detection.Backbone;

/// <summary>
/// A zoo backbone made into a detector's `body`, as torchvision's resnet_fpn_backbone does: a headless ResNet
/// (<see cref="Zoo.CreateBackbone"/>, keys `conv1`, `bn1`, `layer1`..`layer4`) whose stage outputs C2..C5 come from
/// the shared <see cref="ResNet.ForwardFeatureMaps"/> (out_indices 1..4). Its BatchNorms are frozen (torchvision's
/// FrozenBatchNorm2d), and only the last <c>trainableLayers</c> stages train (maskrcnn_resnet50_fpn's default is
/// three). Any attention block of the zoo model stays where the zoo puts it. A body trained from scratch keeps
/// BatchNorm trained and every layer trainable, as torchvision builds one without pretrained weights.
/// </summary>
public static class DetectorBody
{
    /// <summary>The feature indices (timm's out_indices) the FPN takes: the four stages, strides 4, 8, 16, 32.</summary>
    public static IReadOnlyList<int> OutIndices { get; } = [1, 2, 3, 4];

    /// <summary>Freezes <paramref name="resnet"/>'s BatchNorms (unless <paramref name="trainNorms"/>) and its untrained layers, and returns it.</summary>
    public static ResNet Prepare(ResNet resnet, int trainableLayers = 3, bool trainNorms = false)
    {
        ArgumentNullException.ThrowIfNull(resnet);
        if (resnet.Classifier is not null) throw new ArgumentException("A detector body is a headless ResNet (0 classes): see Zoo.CreateBackbone.");
        if (resnet.Stages.Count != 4 || resnet.Features[^1].Reduction != 32)
            throw new ArgumentException($"A detector body needs a ResNet of 4 stages at strides 4..32, this one has {resnet.Stages.Count} reaching stride {resnet.Features[^1].Reduction}.");
        if (trainableLayers is < 0 or > 5) throw new ArgumentException($"Trainable layers must be 0..5, got {trainableLayers}.");
        if (!trainNorms)
            foreach (var (_, m) in resnet.NamedModules())
                if (m is BatchNorm2d bn) bn.Freeze();
        FreezeLayers(resnet, trainableLayers);
        return resnet;
    }

    /// <summary>The channels of C2..C5.</summary>
    public static IReadOnlyList<int> StageChannels(ResNet resnet) => [.. OutIndices.Select(i => resnet.Features[i].Channels)];

    /// <summary>torchvision's layers_to_train: of layer4, layer3, layer2, layer1, conv1 (with bn1), the first n train.</summary>
    private static void FreezeLayers(ResNet resnet, int trainableLayers)
    {
        string[] order = ["layer4", "layer3", "layer2", "layer1", "conv1"];
        var trained = order.Take(trainableLayers).ToList();
        if (trainableLayers == 5) trained.Add("bn1");
        foreach (var (name, p) in resnet.NamedParameters())
            if (!trained.Exists(t => name.StartsWith(t + ".", StringComparison.Ordinal) || name == t)) p.RequiresGrad = false;
    }
}
