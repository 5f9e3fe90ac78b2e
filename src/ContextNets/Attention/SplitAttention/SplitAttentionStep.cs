using ContextNets.Models.Inference;

namespace ContextNets.Attention;

/// <summary>Split attention with bn0 folded into its grouped conv; the gate (ReLU, pooling, fc1, bn1, fc2, rSoftMax, sum) runs on the training kernels, its weights converted once (<see cref="RadixInference"/>).</summary>
internal sealed class SplitAttentionStep : IStep
{
    private readonly FoldedConv _conv;
    private readonly RadixInference _attention;

    public SplitAttentionStep(SplitAttention block)
    {
        _conv = Kernels.FoldConv(block.Conv, block.Bn0, relu: false);
        _attention = new RadixInference(block.GateParameters, block.Radix, block.Groups, block.Bn1.Eps);
    }

    public Tensor Run(Tensor x) => Gate(_conv.Run(x));

    public Tensor Run(LowActivation x) => Gate(_conv.Run(x));

    /// <summary>The grouped conv reads the block's input alone: a lowered conv before it hands its output over.</summary>
    public FoldedConv Reader => _conv;

    private Tensor Gate(Tensor conv)
    {
        using var u = conv;
        return _attention.Run(u);
    }

    public IEnumerable<FoldedConv> Convs => [_conv];

    public void Dispose() => _conv.Dispose();
}
