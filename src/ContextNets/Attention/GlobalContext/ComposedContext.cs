namespace ContextNets.Attention;

/// <summary>
/// Context pooling composed from engine ops, as shared/reference/blocks.py
/// writes it. Every step has a tested autograd rule, which makes this the
/// oracle that the fused kernels are checked against. The intermediates stay
/// alive (owned by the caller's scope): the graph reads them in backward.
/// </summary>
internal static class ComposedContext
{
    /// <summary>ctx [N, C, 1, 1] = sum_j softmax_j(conv_attn(x)) x_j; <paramref name="weights"/> gets the softmax [N, H*W].</summary>
    public static Tensor AttentionPool(Tensor x, Tensor weight, Tensor bias, out Tensor weights)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        var logits = F.Conv2d(x, weight, bias);
        var flat = F.Reshape(logits, n, hw);
        weights = F.Softmax(flat, 1);
        var columns = F.Reshape(weights, n, hw, 1);
        var rows = F.Reshape(x, n, c, hw);
        return F.Reshape(F.MatMul(rows, columns), n, c, 1, 1);
    }

    /// <summary>ctx [N, C, 1, 1] = the mean of x over its positions.</summary>
    public static Tensor AveragePool(Tensor x) => F.Mean(x, [2, 3], keepDim: true);
}
