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

    /// <summary>
    /// Copies a trained classifier's weights into <paramref name="body"/>, as torchvision's weights_backbone does: every
    /// tensor but the classifier's head goes to the same key. A stem trained on gray images (1 input channel, as the
    /// Fashion-MNIST runs are) is given a third of its kernel in each colour channel, so that a gray image gets the
    /// response it was trained on. Returns the body's tensors the classifier lacks (attention blocks that it did not
    /// have, which keep their initialization); a classifier tensor the body lacks, or of another shape, throws.
    /// </summary>
    public static IReadOnlyList<string> LoadFrom(ResNet body, ResNet classifier)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(classifier);
        string? head = classifier.Classifier is { } fc ? classifier.NamedModules().First(m => ReferenceEquals(m.module, fc)).name + "." : null;
        var own = body.StateDict();
        using var scope = Tensor.Scope();
        var source = new Dictionary<string, Tensor>();
        foreach (var (key, value) in classifier.StateDict())
        {
            if (head is not null && key.StartsWith(head, StringComparison.Ordinal)) continue;
            source[key] = own.TryGetValue(key, out var target) && IsGrayStem(value, target) ? SpreadOverChannels(value, target.Shape[1]) : value;
        }
        var report = body.LoadStateDict(source, strict: false);
        if (report.Unexpected.Count > 0)
            throw new ArgumentException($"The classifier has tensors the detector's body has not: {string.Join(", ", report.Unexpected.Take(4))}{(report.Unexpected.Count > 4 ? ", ..." : "")}.");
        return report.Missing;
    }

    private static bool IsGrayStem(Tensor value, Tensor target) =>
        value.Shape.Rank == 4 && target.Shape.Rank == 4 && value.Shape[1] == 1 && target.Shape[1] > 1 && value.Shape[0] == target.Shape[0];

    /// <summary>A gray kernel [O, 1, k, k] as [O, C, k, k] with a C-th of it in each channel.</summary>
    private static Tensor SpreadOverChannels(Tensor gray, int channels)
    {
        var w = gray.ToArray();
        int o = gray.Shape[0], area = gray.Shape[2] * gray.Shape[3];
        var spread = new float[o * channels * area];
        for (int i = 0; i < o; i++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < area; p++) spread[(i * channels + c) * area + p] = w[i * area + p] / channels;
        return Tensor.FromArray(spread, o, channels, gray.Shape[2], gray.Shape[3]);
    }

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
