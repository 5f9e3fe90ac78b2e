using ContextNets.Attention;
using ContextNets.NN;

namespace ContextNets.Models.Inference;

/// <summary>One stage of the inference graph: a new tensor from x, or x itself overwritten when the step may consume it.</summary>
internal interface IStep : IDisposable
{
    Tensor Run(Tensor x);
}

/// <summary>A module of the model's private eval-mode copy, run as is (pools, attention blocks, the non-local block).</summary>
internal sealed class ModuleStep(Module module) : IStep
{
    public Tensor Run(Tensor x) => module.Forward(x);

    public void Dispose() { }
}

internal sealed class ConvStep(FoldedConv conv) : IStep
{
    public FoldedConv Conv => conv;

    public Tensor Run(Tensor x) => conv.Run(x);

    public void Dispose() => conv.Dispose();
}

/// <summary>Split attention with bn0 folded into its grouped conv; the gate (ReLU, pooling, fc1, bn1, fc2, rSoftMax, sum) runs fused as in training.</summary>
internal sealed class SplitAttentionStep : IStep
{
    private readonly FoldedConv _conv;
    private readonly RadixGateParameters _gate;
    private readonly int _radix, _groups;
    private readonly float _eps;

    public SplitAttentionStep(SplitAttention block)
    {
        var c = Children.Of(block);
        _conv = new FoldedConv((Conv2d)c["conv"], (BatchNorm2d)c["bn0"], relu: false);
        var (fc1, bn1, fc2) = ((Conv2d)c["fc1"], (BatchNorm2d)c["bn1"], (Conv2d)c["fc2"]);
        _gate = new RadixGateParameters(fc1.Weight, fc1.Bias, bn1.Weight, bn1.Bias, bn1.RunningMean, bn1.RunningVar, fc2.Weight, fc2.Bias);
        (_radix, _groups, _eps) = (block.Radix, block.Groups, bn1.Eps);
    }

    public Tensor Run(Tensor x)
    {
        using var u = _conv.Run(x);
        var y = F.RadixAttention(u, _gate, _radix, _groups, training: false, out var gate, eps: _eps);
        gate.Dispose();
        return y;
    }

    public void Dispose() => _conv.Dispose();
}

/// <summary>Selective kernel with each path's BN folded into its conv; the paths' ReLU and the selection run fused as in training.</summary>
internal sealed class SelectiveKernelStep : IStep
{
    private readonly FoldedConv[] _paths;
    private readonly RadixGateParameters _gate;
    private readonly bool _splitInput;
    private readonly int _inChannels;
    private readonly float _eps;

    public SelectiveKernelStep(SelectiveKernel block)
    {
        var c = Children.Of(block);
        _paths = [.. ((Sequential)c["paths"]).NamedChildren().Select(p => Children.Of(p.module))
            .Select(p => new FoldedConv((Conv2d)p["conv"], (BatchNorm2d)p["bn"], relu: false))];
        var attn = Children.Of(c["attn"]);
        var (reduce, bn, select) = ((Conv2d)attn["fc_reduce"], (BatchNorm2d)attn["bn"], (Conv2d)attn["fc_select"]);
        _gate = new RadixGateParameters(reduce.Weight, reduce.Bias, bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar, select.Weight, select.Bias);
        (_splitInput, _inChannels, _eps) = (block.SplitInput, block.InChannels, bn.Eps);
    }

    public Tensor Run(Tensor x)
    {
        int p = _paths.Length;
        var inputs = _splitInput ? F.Split(x, Enumerable.Repeat(_inChannels / p, p).ToArray(), 1) : Enumerable.Repeat(x, p).ToArray();
        var outputs = new Tensor[p];
        for (int i = 0; i < p; i++) outputs[i] = _paths[i].Run(inputs[i]);
        using var stacked = F.Cat(outputs, 1);
        foreach (var o in outputs) o.Dispose();
        if (_splitInput) foreach (var i in inputs) i.Dispose();
        var y = F.RadixAttention(stacked, _gate, p, groups: 1, training: false, out var gate, eps: _eps);
        gate.Dispose();
        return y;
    }

    public void Dispose()
    {
        foreach (var p in _paths) p.Dispose();
    }
}

/// <summary>Steps in order, each intermediate freed as soon as the next step has read it.</summary>
internal sealed class ChainStep(IReadOnlyList<IStep> steps) : IStep
{
    public Tensor Run(Tensor x)
    {
        var h = x;
        foreach (var step in steps)
        {
            var next = step.Run(h);
            if (!ReferenceEquals(h, x) && !ReferenceEquals(next, h)) h.Dispose();
            h = next;
        }
        return h;
    }

    public void Dispose()
    {
        foreach (var s in steps) s.Dispose();
    }
}

internal static class Children
{
    public static Dictionary<string, Module> Of(Module m) => m.NamedChildren().ToDictionary(c => c.name, c => c.module);
}
