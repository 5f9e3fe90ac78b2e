using ContextNets.Autograd;
using ContextNets.Backend.Managed;

namespace ContextNets;

public static partial class F
{
    /// <summary>
    /// Mean cross-entropy of logits [N, K] against class labels, as
    /// torch.nn.functional.cross_entropy: with label smoothing eps the target
    /// is (1 - eps) * onehot + eps / K. Returns a scalar (shape []).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] labels, float labelSmoothing = 0f)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var (n, k) = CrossEntropyDims(logits);
        if (labels.Length != n)
            throw new ArgumentException($"cross_entropy: {labels.Length} labels for logits {logits.Shape} ({n} rows).");
        for (int i = 0; i < n; i++)
            if ((uint)labels[i] >= (uint)k)
                throw new ArgumentException($"cross_entropy: label {labels[i]} at index {i} is outside [0, {k}) for logits {logits.Shape} (K = {k}).");
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentException($"cross_entropy: label smoothing {labelSmoothing} is outside [0, 1].");
        return CrossEntropyOp(logits, null, (int[])labels.Clone(), labelSmoothing);
    }

    /// <summary>Mean cross-entropy against a target distribution per row (soft targets [N, K], as mixup makes).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor softTargets)
    {
        CrossEntropyDims(logits);
        if (softTargets.Shape != logits.Shape)
            throw new ArgumentException($"cross_entropy: soft targets {softTargets.Shape} must have the shape of the logits {logits.Shape}.");
        return CrossEntropyOp(logits, softTargets, null, 0f);
    }

    private static (int n, int k) CrossEntropyDims(Tensor logits)
    {
        if (logits.Rank != 2 || logits.Numel == 0)
            throw new ArgumentException($"cross_entropy: logits must be a non-empty [N, K], got {logits.Shape}.");
        return (logits.Shape[0], logits.Shape[1]);
    }

    private static unsafe Tensor CrossEntropyOp(Tensor logits, Tensor? soft, int[]? labels, float eps)
    {
        int n = logits.Shape[0], k = logits.Shape[1];
        double loss;
        using (var x = Materialize(logits, MemoryFormat.Contiguous))
        using (var t = soft is null ? null : Materialize(soft, MemoryFormat.Contiguous))
            loss = CrossEntropyKernels.Loss(x.Data, n, k, new CrossEntropyTarget(labels, eps, t is null ? null : t.Data));
        var y = Tensor.Scalar((float)loss);
        if (!Tape.ShouldRecord(logits, soft)) return y;
        return Tape.Record(y, "cross_entropy", soft is null ? [logits] : [logits, soft], gy =>
        {
            using var x = Materialize(logits, MemoryFormat.Contiguous);
            using var t = soft is null ? null : Materialize(soft, MemoryFormat.Contiguous);
            var gx = logits.RequiresGrad ? Tensor.Empty(logits.Shape) : null;
            var gt = soft?.RequiresGrad == true ? Tensor.Empty(soft.Shape) : null;
            CrossEntropyKernels.Backward(x.Data, n, k, new CrossEntropyTarget(labels, eps, t is null ? null : t.Data), gy.Item() / n,
                gx is null ? null : gx.Data, gt is null ? null : gt.Data);
            return [gx, gt];
        });
    }
}
