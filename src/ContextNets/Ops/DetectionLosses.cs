using ContextNets.Autograd;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// torch.nn.functional.binary_cross_entropy_with_logits, mean over every element of <paramref name="logits"/>
    /// against <paramref name="targets"/> (one per element, in order): max(x, 0) - x t + log(1 + exp(-|x|)), the form
    /// that neither overflows for large |x| nor loses the small ones. Returns a scalar; the gradient reaches the logits.
    /// </summary>
    public static unsafe Tensor BinaryCrossEntropyWithLogits(Tensor logits, float[] targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Numel == 0 || targets.Length != logits.Numel)
            throw new ArgumentException($"binary_cross_entropy_with_logits: {targets.Length} targets for logits {logits.Shape}; both must be non-empty and of one size.");
        float[] t = (float[])targets.Clone();
        int n = t.Length;
        double loss = 0;
        using (var x = Materialize(logits, MemoryFormat.Contiguous))
            for (int i = 0; i < n; i++)
            {
                double v = x.Data[i];
                loss += Math.Max(v, 0) - v * t[i] + Math.Log(1 + Math.Exp(-Math.Abs(v)));
            }
        var y = Tensor.Scalar((float)(loss / n));
        if (!Tape.ShouldRecord(logits)) return y;
        return Tape.Record(y, "binary_cross_entropy_with_logits", [logits], gy =>
        {
            float scale = gy.Item() / n;
            using var x = Materialize(logits, MemoryFormat.Contiguous);
            var gx = Tensor.Empty(logits.Shape);
            for (int i = 0; i < n; i++) gx.Data[i] = scale * (1f / (1f + MathF.Exp(-x.Data[i])) - t[i]);
            return [gx];
        });
    }

    /// <summary>
    /// torch.nn.functional.smooth_l1_loss with reduction "sum": per element 0.5 d² / beta where |d| &lt; beta, else
    /// |d| - 0.5 beta, for d = x - target (beta 0 is the plain L1). Detection divides the sum by its own count, which
    /// is why the reduction is left to the caller. An empty input sums to 0. Returns a scalar; the gradient reaches x.
    /// </summary>
    public static unsafe Tensor SmoothL1Sum(Tensor x, float[] targets, float beta)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length != x.Numel) throw new ArgumentException($"smooth_l1_loss: {targets.Length} targets for input {x.Shape}.");
        if (!(beta >= 0)) throw new ArgumentException($"smooth_l1_loss: beta {beta} must be non-negative.");
        float[] t = (float[])targets.Clone();
        double loss = 0;
        using (var xs = Materialize(x, MemoryFormat.Contiguous))
            for (int i = 0; i < t.Length; i++)
            {
                double d = Math.Abs((double)xs.Data[i] - t[i]);
                loss += d < beta ? 0.5 * d * d / beta : d - 0.5 * beta;
            }
        var y = Tensor.Scalar((float)loss);
        if (!Tape.ShouldRecord(x)) return y;
        return Tape.Record(y, "smooth_l1_loss", [x], gy =>
        {
            float g = gy.Item();
            using var xs = Materialize(x, MemoryFormat.Contiguous);
            var gx = Tensor.Empty(x.Shape);
            for (int i = 0; i < t.Length; i++)
            {
                float d = xs.Data[i] - t[i];
                gx.Data[i] = g * (MathF.Abs(d) < beta ? d / beta : MathF.Sign(d));
            }
            return [gx];
        });
    }
}
