namespace ContextNets.Tests.Reference;

/// <summary>Mean cross-entropy of logits [N, K] against a target distribution per row, forward and backward.</summary>
internal static class RefLosses
{
    /// <summary>The smoothed one-hot targets PyTorch uses: (1 - eps) * onehot + eps / K.</summary>
    public static RefTensor Targets(int[] labels, int k, double eps)
    {
        var t = new RefTensor([labels.Length, k]);
        for (int i = 0; i < labels.Length; i++)
        for (int j = 0; j < k; j++)
            t[i, j] = (j == labels[i] ? 1 - eps : 0) + eps / k;
        return t;
    }

    public static RefTensor CrossEntropy(RefTensor logits, RefTensor targets)
    {
        var logp = RefSoftmax.Forward(logits, 1, log: true);
        double s = 0;
        for (int i = 0; i < logp.Length; i++) s -= targets.Data[i] * logp.Data[i];
        return new RefTensor([], [s / logits.Shape[0]]);
    }

    /// <summary>d/dlogits = (softmax - t) g / N; d/dtargets = -log softmax * g / N.</summary>
    public static (RefTensor gLogits, RefTensor gTargets) CrossEntropyBackward(RefTensor logits, RefTensor targets, RefTensor gy)
    {
        double g = gy.Data[0] / logits.Shape[0];
        var logp = RefSoftmax.Forward(logits, 1, log: true);
        var gl = new RefTensor(logits.Shape);
        var gt = new RefTensor(logits.Shape);
        for (int i = 0; i < logp.Length; i++)
        {
            gl.Data[i] = (Math.Exp(logp.Data[i]) - targets.Data[i]) * g;
            gt.Data[i] = -logp.Data[i] * g;
        }
        return (gl, gt);
    }
}
