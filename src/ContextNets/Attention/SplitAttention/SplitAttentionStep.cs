using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>Split attention with bn0 folded into its grouped conv; the gate (ReLU, pooling, fc1, bn1, fc2, rSoftMax, sum) runs fused as in training.</summary>
internal sealed class SplitAttentionStep : IStep
{
    private readonly FoldedConv _conv;
    private readonly RadixGateParameters _gate;
    private readonly int _radix, _groups;
    private readonly float _eps;

    public SplitAttentionStep(SplitAttention block)
    {
        _conv = Kernels.FoldConv(block.Conv, block.Bn0, relu: false);
        _gate = block.GateParameters;
        (_radix, _groups, _eps) = (block.Radix, block.Groups, block.Bn1.Eps);
    }

    public Tensor Run(Tensor x) => Gate(_conv.Run(x));

    public Tensor Run(LowActivation x) => Gate(_conv.Run(x));

    /// <summary>The grouped conv reads the block's input alone: a lowered conv before it hands its output over.</summary>
    public FoldedConv Reader => _conv;

    private Tensor Gate(Tensor conv)
    {
        using var u = conv;
        var y = F.RadixAttention(u, _gate, _radix, _groups, training: false, out var gate, eps: _eps);
        gate.Dispose();
        return y;
    }

    public IEnumerable<FoldedConv> Convs => [_conv];

    public void Dispose() => _conv.Dispose();
}
