using ContextNets.Models;
using ContextNets.NN;

namespace ContextNets.Export.Emit;

/// <summary>One layer of a chain, with its path and whether a ReLU follows it in the module's forward.</summary>
internal readonly record struct Layer(string Path, Module Module, bool Relu = false);

/// <summary>A chain of layers in which each BatchNorm right after a convolution is folded into it (when the graph folds).</summary>
internal static class Sequence
{
    /// <summary>
    /// A Sequential's layers with the Sequentials inside it spliced in (the same forward), so that a BN after a nested
    /// chain that ends in a conv folds too: R(2+1)D's (2+1)D conv is a Sequential ending in a 3x1x1 conv, and its block's BN follows it.
    /// </summary>
    public static List<Layer> Flatten(Sequential seq, string path) =>
        [.. seq.NamedChildren().SelectMany(c => c.module is Sequential inner
            ? Flatten(inner, ModuleEmitter.Join(path, c.name))
            : [new Layer(ModuleEmitter.Join(path, c.name), c.module)])];

    public static OnnxValue Emit(OnnxGraph g, IReadOnlyList<Layer> layers, OnnxValue x)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (layer.Module is Conv2d conv && i + 1 < layers.Count && layers[i + 1].Module is BatchNorm2d bn)
            {
                x = Layers.ConvBn(g, conv, layer.Path, bn, layers[i + 1].Path, x, layers[i + 1].Relu);
                i++;
                continue;
            }
            if (layer.Module is Conv3d conv3d && i + 1 < layers.Count && layers[i + 1].Module is BatchNorm3d bn3d)
            {
                x = Layers3d.ConvBn(g, conv3d, layer.Path, bn3d, layers[i + 1].Path, x, layers[i + 1].Relu);
                i++;
                continue;
            }
            x = ModuleEmitter.Emit(g, layer.Module, layer.Path, x);
            if (layer.Relu) x = Ops.Relu(g, layer.Path, x);
        }
        return x;
    }

    /// <summary>timm's ConvNormAct: `conv`, `bn`, and ReLU when it has one.</summary>
    public static OnnxValue ConvNormAct(OnnxGraph g, ConvNormAct cna, string path, OnnxValue x) =>
        Layers.ConvBn(g, cna.Conv, path + ".conv", cna.Bn, path + ".bn", x, cna.Act);
}
