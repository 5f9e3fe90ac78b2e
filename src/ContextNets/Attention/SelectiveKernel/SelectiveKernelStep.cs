using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>Selective kernel with each path's BN folded into its conv; the paths' ReLU and the selection run fused as in training.</summary>
internal sealed class SelectiveKernelStep : IStep
{
    private readonly FoldedConv[] _paths;
    private readonly RadixInference _attention;
    private readonly bool _splitInput;
    private readonly int _inChannels;

    public SelectiveKernelStep(SelectiveKernel block)
    {
        _paths = [.. block.PathLayers.Select(p => Kernels.FoldConv(p.Conv, p.Bn, relu: false))];
        _attention = new RadixInference(block.Attn.GateParameters, _paths.Length, groups: 1, block.Attn.Bn.Eps);
        (_splitInput, _inChannels) = (block.SplitInput, block.InChannels);
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
        return _attention.Run(stacked);
    }

    public IEnumerable<FoldedConv> Convs => _paths;

    public void Dispose()
    {
        foreach (var p in _paths) p.Dispose();
    }
}
